#include "config/config.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <string_view>
#include <toml++/toml.h>

namespace kith::config {

namespace {

namespace fs = std::filesystem;

std::string Absolute(const std::string& path, const std::string& directory) {
    fs::path p(path);
    if (p.is_relative()) p = fs::path(directory) / p;
    return p.lexically_normal().string();
}

// An absolute folder path without a trailing separator.
std::string Folder(const std::string& path, const std::string& directory) {
    fs::path p = Absolute(path, directory);
    if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
    return p.string();
}

std::string TypeName(const toml::node& n) {
    switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date or time";
    }
}

// Walks the parsed document, filling a Config and collecting every problem.
class Reader {
public:
    explicit Reader(std::string path) : path_(std::move(path)) {}

    void Err(const toml::source_region& at, std::string message) {
        Location loc{path_, static_cast<int>(at.begin.line), static_cast<int>(at.begin.column)};
        if (!loc.IsSet()) loc.line = 1, loc.column = 1;
        problems.push_back(Diagnostic{loc, std::move(message)});
    }

    using Setter = std::function<void(const toml::node&, const std::string& name)>;

    // Checks every key of tbl against the known ones; known keys are handed to their setter.
    void Table(const toml::table& tbl, const std::string& prefix, const std::map<std::string, Setter>& known) {
        for (auto&& [k, v] : tbl) {
            std::string name = prefix + std::string(k.str());
            auto it = known.find(std::string(k.str()));
            if (it == known.end()) {
                std::string list;
                for (const auto& [n, _] : known) list += (list.empty() ? "" : ", ") + prefix + n;
                Err(k.source(), fmt::format("unknown key {} (known: {})", text::Quote(name), list));
                continue;
            }
            it->second(v, name);
        }
    }

    Setter String(std::string& target, std::function<std::string(const std::string&)> check = {}) {
        return [this, &target, check](const toml::node& v, const std::string& name) {
            if (!v.is_string()) {
                Err(v.source(), fmt::format("{} must be a string, found {}", name, TypeName(v)));
                return;
            }
            std::string s = v.as_string()->get();
            if (s.empty()) {
                Err(v.source(), fmt::format("{} must not be empty", name));
                return;
            }
            if (check) {
                if (std::string why = check(s); !why.empty()) {
                    Err(v.source(), fmt::format("{}: {}", name, why));
                    return;
                }
            }
            target = s;
        };
    }

    Setter Integer(int64_t& target, int64_t min, int64_t max) {
        return [this, &target, min, max](const toml::node& v, const std::string& name) {
            if (!v.is_integer()) {
                Err(v.source(), fmt::format("{} must be an integer, found {}", name, TypeName(v)));
                return;
            }
            int64_t n = v.as_integer()->get();
            if (n < min || n > max) {
                Err(v.source(), fmt::format("{} must be between {} and {}, found {}", name, min, max, n));
                return;
            }
            target = n;
        };
    }

    Setter Boolean(bool& target) {
        return [this, &target](const toml::node& v, const std::string& name) {
            if (!v.is_boolean()) {
                Err(v.source(), fmt::format("{} must be true or false, found {}", name, TypeName(v)));
                return;
            }
            target = v.as_boolean()->get();
        };
    }

    //! An array of allow rules ([delivery] allow_hosts), each string checked at its own position.
    Setter AllowRules(std::vector<outbound::AllowRule>& target) {
        return [this, &target](const toml::node& v, const std::string& name) {
            if (!v.is_array()) {
                Err(v.source(), fmt::format("{} must be an array of strings, found {}", name, TypeName(v)));
                return;
            }
            for (const toml::node& item : *v.as_array()) {
                if (!item.is_string()) {
                    Err(item.source(), fmt::format("{} must hold strings, found {}", name, TypeName(item)));
                    continue;
                }
                auto rule = outbound::ParseAllowRule(item.as_string()->get());
                if (!rule) {
                    Err(item.source(), fmt::format("{}: {}", name, rule.error().message));
                    continue;
                }
                target.push_back(std::move(*rule));
            }
        };
    }

    Setter SubTable(const std::string& prefix, std::map<std::string, Setter> known) {
        return [this, prefix, known = std::move(known)](const toml::node& v, const std::string& name) {
            if (!v.is_table()) {
                Err(v.source(), fmt::format("{} must be a table, found {}", name, TypeName(v)));
                return;
            }
            Table(*v.as_table(), prefix, known);
        };
    }

    std::vector<Diagnostic> problems;

private:
    std::string path_;
};

// The schemes warehouse::Open knows; the driver checks the rest of the URI when it opens it.
std::string CheckWarehouse(const std::string& uri) {
    if (uri.starts_with("duckdb:") && uri.size() > 7) return "";
    for (std::string_view scheme : {"postgresql://", "postgres://", "redshift://", "snowflake://", "bigquery://",
                                    "spark://", "databricks://"}) {
        if (uri.starts_with(scheme) && uri.size() > scheme.size()) return "";
    }
    return "expected duckdb:PATH, postgresql://..., redshift://..., snowflake://..., bigquery://..., spark://... or "
           "databricks://..., found " +
           text::Quote(uri);
}

std::string CheckListen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return "expected host:port, found " + text::Quote(listen);
    std::string port = listen.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
        return "the port must be a number from 1 to 65535, found " + text::Quote(port);
    }
    return "";
}

// The snapshot schema: a plain lower-case SQL name, the same in every engine without quoting surprises.
std::string CheckSchema(const std::string& schema) {
    bool ok = !schema.empty() && schema.size() <= 63 && !(schema[0] >= '0' && schema[0] <= '9') &&
              schema.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    return ok ? "" : "expected a name of a-z, 0-9 and _ (not starting with a digit), found " + text::Quote(schema);
}

std::string CheckSmtpUrl(const std::string& url) {
    if (url.starts_with("smtp://") || url.starts_with("smtps://")) return "";
    return "expected smtp://host:port or smtps://host:port, found " + text::Quote(url);
}

std::string CheckPublicUrl(const std::string& url) {
    if (url.starts_with("http://") || url.starts_with("https://")) return "";
    return "expected an http:// or https:// address, found " + text::Quote(url);
}

constexpr std::string_view kSecretVariables[] = {
    "SNOWFLAKE_PRIVATE_KEY_PATH", "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "SNOWFLAKE_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS", "BIGQUERY_ACCESS_TOKEN",
    "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET",
    "PGPASSWORD", "SPARK_PASSWORD",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
};

// `[warehouse_auth]`: VARIABLE = { file = "PATH" } or { env = "NAME" }. A value is never echoed in an error: a
// string written in place of the table may be the secret itself.
Reader::Setter WarehouseAuth(Reader& r, std::vector<WarehouseSecret>& out, const std::string& directory,
                             const std::string& path) {
    return [&r, &out, directory, path](const toml::node& v, const std::string& name) {
        if (!v.is_table()) {
            r.Err(v.source(), fmt::format("{} must be a table, found {}", name, TypeName(v)));
            return;
        }
        std::string known;
        for (std::string_view k : kSecretVariables) known += (known.empty() ? "" : ", ") + std::string(k);
        for (auto&& [k, entry] : *v.as_table()) {
            std::string variable(k.str());
            std::string key = name + "." + variable;
            if (std::find(std::begin(kSecretVariables), std::end(kSecretVariables), variable) ==
                std::end(kSecretVariables)) {
                r.Err(k.source(), fmt::format("unknown key {} (known: {})", text::Quote(key), known));
                continue;
            }
            const toml::table* t = entry.as_table();
            const toml::node* file = t ? t->get("file") : nullptr;
            const toml::node* env = t ? t->get("env") : nullptr;
            bool one = t && t->size() == 1 && ((file && file->is_string()) || (env && env->is_string()));
            if (!one) {
                r.Err(entry.source(), fmt::format("{} must be {{ file = \"PATH\" }} or {{ env = \"VARIABLE\" }}, found "
                                                  "{} (the config names a secret; it never holds one)",
                                                  key, t ? "another table" : TypeName(entry)));
                continue;
            }
            std::string value = (file ? file : env)->as_string()->get();
            if (value.empty()) {
                r.Err(entry.source(), fmt::format("{} must not be empty", key + (file ? ".file" : ".env")));
                continue;
            }
            WarehouseSecret s{variable, file ? Absolute(value, directory) : "", env ? value : "",
                              Location{path, static_cast<int>(k.source().begin.line),
                                       static_cast<int>(k.source().begin.column)}};
            out.push_back(std::move(s));
        }
        // toml++ iterates a table by key; the file's order reads better in messages.
        std::stable_sort(out.begin(), out.end(), [](const WarehouseSecret& a, const WarehouseSecret& b) {
            return std::pair(a.location.line, a.location.column) < std::pair(b.location.line, b.location.column);
        });
    };
}

} // namespace

std::span<const std::string_view> WarehouseSecretVariables() { return kSecretVariables; }

bool IsPathVariable(std::string_view variable) {
    return variable == "SNOWFLAKE_PRIVATE_KEY_PATH" || variable == "GOOGLE_APPLICATION_CREDENTIALS";
}

std::string ResolveWarehouse(const std::string& uri, const std::string& directory) {
    if (!uri.starts_with("duckdb:")) return uri;
    std::string path = uri.substr(7);
    if (path.empty() || path == ":memory:" || path.starts_with(":memory:")) return uri;
    return "duckdb:" + Absolute(path, directory);
}

Config Defaults(const std::string& directory) {
    Config c;
    std::error_code ec;
    fs::path dir = fs::absolute(directory.empty() ? fs::path(".") : fs::path(directory), ec);
    c.directory = dir.lexically_normal().string();
    c.warehouse = ResolveWarehouse("duckdb:warehouse.duckdb", c.directory);
    c.graph = Absolute("graph.hcl", c.directory);
    c.state = Absolute("state.sqlite", c.directory);
    c.delivery.file_root = c.directory;
    return c;
}

std::expected<Config, Diagnostics> ParseConfig(std::string_view text, const std::string& path) {
    Config c = Defaults(fs::path(path).parent_path().string());
    c.file = path;
    toml::table doc;
    try {
        doc = toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        const auto& at = e.source().begin;
        return std::unexpected(Diagnostics{Diagnostic{
            Location{path, std::max(1, static_cast<int>(at.line)), std::max(1, static_cast<int>(at.column))},
            std::string(e.description())}});
    }
    Reader r(path);
    std::string warehouse, graph, state, web, file_root;
    r.Table(doc, "",
            {
                {"warehouse", r.String(warehouse, CheckWarehouse)},
                {"graph", r.String(graph)},
                {"state", r.String(state)},
                {"listen", r.String(c.listen, CheckListen)},
                {"web", r.String(web)},
                {"runs", r.SubTable("runs.",
                                    {
                                        {"max_concurrent", r.Integer(c.runs.max_concurrent, 1, 1000)},
                                        {"max_start_delay_s", r.Integer(c.runs.max_start_delay_s, 0, 3600)},
                                        {"keep_snapshots", r.Integer(c.runs.keep_snapshots, 2, 1000)},
                                        {"page_size", r.Integer(c.runs.page_size, 1, 1000000)},
                                        {"stage_batch", r.Integer(c.runs.stage_batch, 1, 1000000)},
                                        {"snapshot_schema", r.String(c.runs.snapshot_schema, CheckSchema)},
                                    })},
                {"delivery", r.SubTable("delivery.",
                                        {
                                            {"retry_for_s", r.Integer(c.delivery.retry_for_s, 0, 30 * 86400)},
                                            {"activation_rate", r.Integer(c.delivery.activation_rate, 1, 1000000)},
                                            {"workspace_rate", r.Integer(c.delivery.workspace_rate, 1, 1000000)},
                                            {"max_event_bytes",
                                             r.Integer(c.delivery.max_event_bytes, 1024, 64 * 1024 * 1024)},
                                            {"timeout_s", r.Integer(c.delivery.timeout_s, 1, 3600)},
                                            {"timeout_ms", r.Integer(c.delivery.timeout_ms, 1, 3600000)},
                                            {"verify_tls", r.Boolean(c.delivery.verify_tls)},
                                            {"file_root", r.String(file_root)},
                                            {"allow_hosts", r.AllowRules(c.delivery.allow_hosts)},
                                        })},
                {"auth", r.SubTable("auth.",
                                    {
                                        {"password_memory_mib", r.Integer(c.auth.password_memory_mib, 1, 4096)},
                                        {"password_passes", r.Integer(c.auth.password_passes, 1, 16)},
                                        {"free_login_failures", r.Integer(c.auth.free_login_failures, 1, 1000)},
                                        {"free_login_failures_per_address",
                                         r.Integer(c.auth.free_login_failures_per_address, 1, 100000)},
                                        {"first_login_wait_s", r.Integer(c.auth.first_login_wait_s, 1, 3600)},
                                        {"max_login_wait_s", r.Integer(c.auth.max_login_wait_s, 1, 86400)},
                                    })},
                {"alerts", r.SubTable("alerts.",
                                      {
                                          {"interval_s", r.Integer(c.alerts.interval_s, 10, 86400)},
                                          {"smtp_url", r.String(c.alerts.smtp_url, CheckSmtpUrl)},
                                          {"smtp_from", r.String(c.alerts.smtp_from)},
                                          {"smtp_user", r.String(c.alerts.smtp_user)},
                                          {"smtp_password", r.String(c.alerts.smtp_password)},
                                          {"smtp_starttls", r.Boolean(c.alerts.smtp_starttls)},
                                          {"public_url", r.String(c.alerts.public_url, CheckPublicUrl)},
                                      })},
                {"warehouse_auth", WarehouseAuth(r, c.warehouse_auth, c.directory, path)},
            });
    if (!r.problems.empty()) {
        SortByLocation(r.problems);
        return std::unexpected(std::move(r.problems));
    }
    if (!warehouse.empty()) c.warehouse = ResolveWarehouse(warehouse, c.directory);
    if (!graph.empty()) c.graph = Absolute(graph, c.directory);
    if (!state.empty()) c.state = Absolute(state, c.directory);
    if (!web.empty()) c.web = Absolute(web, c.directory);
    c.delivery.file_root =
        file_root.empty() ? fs::path(c.state).parent_path().string() : Folder(file_root, c.directory);
    return c;
}

std::expected<Config, Diagnostics> LoadConfig(const std::string& path) {
    auto text = text::ReadFile(path);
    if (!text) return std::unexpected(Diagnostics{Diagnostic{Location{path, 0, 0}, text.error().message}});
    return ParseConfig(*text, path);
}

} // namespace kith::config
