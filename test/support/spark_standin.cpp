#include "support/spark_standin.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

namespace kith::test {

namespace {

std::string Script() { return std::string(KITH_SOURCE_DIR) + "/scripts/standin.sh"; }

std::string ShellQuote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

//! Runs a shell command; its stdout, and its exit code (-1 when it did not exit normally).
std::pair<int, std::string> Run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "cannot start " + cmd};
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

Status NeedProxy(const Standin& s) {
    if (s.proxy_port > 0) return {};
    return Fail(ErrorCode::USAGE, "the " + s.engine + " stand-in has no proxy to inject faults into (only databricks)");
}

//! A request to the proxy's admin routes; the answer's JSON body.
Result<nlohmann::json> Admin(const Standin& s, const std::string& method, const std::string& path,
                             const std::string& body = {}) {
    if (auto ok = NeedProxy(s); !ok) return std::unexpected(ok.error());
    httplib::Client cli("127.0.0.1", s.proxy_port);
    const std::string url = path + "?warehouse=" + s.warehouse_id;
    cli.set_connection_timeout(5);
    cli.set_read_timeout(10);
    httplib::Result r = method == "GET"    ? cli.Get(url)
                        : method == "POST" ? cli.Post(url, body, "application/json")
                                           : cli.Delete(url);
    std::string what = method + " http://127.0.0.1:" + std::to_string(s.proxy_port) + url;
    if (!r) return Fail(ErrorCode::IO, what + ": " + httplib::to_string(r.error()));
    if (r->status != 200) return Fail(ErrorCode::IO, what + ": HTTP " + std::to_string(r->status) + " " + r->body);
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return Fail(ErrorCode::IO, what + ": not JSON: " + r->body);
    return j;
}

} // namespace

std::string Standin::Env(const std::string& name) const {
    for (const auto& [k, v] : env)
        if (k == name) return v;
    return {};
}

Standin Standin::OwnWarehouse() const {
    Standin s = *this;
    if (proxy_port <= 0) return s;
    static std::atomic<int> serial{0};
    std::string id = "t" + std::to_string(getpid()) + "_" + std::to_string(++serial);
    const std::string key = "/sql/1.0/warehouses/" + warehouse_id;
    if (size_t at = s.uri.find(key); at != std::string::npos) s.uri.replace(at, key.size(), "/sql/1.0/warehouses/" + id);
    s.warehouse_id = id;
    for (auto& [k, v] : s.env)
        if (k == "KITH_WAREHOUSE") v = s.uri;
    return s;
}

std::vector<std::pair<std::string, std::string>> ParseExports(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> vars;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        const std::string prefix = "export ";
        if (line.rfind(prefix, 0) != 0) continue;
        size_t eq = line.find('=', prefix.size());
        if (eq == std::string::npos) continue;
        std::string name = line.substr(prefix.size(), eq - prefix.size());
        std::string value;
        char quote = 0;
        for (size_t i = eq + 1; i < line.size(); ++i) {
            char c = line[i];
            if (quote == '\'') {
                if (c == '\'') quote = 0;
                else value += c;
            } else if (quote == '"') {
                if (c == '"') quote = 0;
                else if (c == '\\' && i + 1 < line.size() && std::string("$`\"\\").find(line[i + 1]) != std::string::npos)
                    value += line[++i];
                else value += c;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '\\' && i + 1 < line.size()) {
                value += line[++i];
            } else {
                value += c;
            }
        }
        vars.emplace_back(name, value);
    }
    return vars;
}

std::string StandinEngine() {
    const char* e = std::getenv("KITH_STANDIN_ENGINE");
    return e && *e ? e : "spark";
}

std::string StandinUriVariable() {
    const char* v = std::getenv("KITH_STANDIN_URI");
    return v && *v ? v : "KITH_WAREHOUSE";
}

Result<Standin> SparkStandin::Start(const std::string& engine) {
    if (engine != "spark" && engine != "databricks" && engine != "redshift" && engine != "snowflake" && engine != "bigquery")
        return Fail(ErrorCode::USAGE, "SparkStandin::Start: engine must be spark, databricks, redshift, snowflake or bigquery, not " + engine);
    auto [code, out] = Run(ShellQuote(Script()) + " start " + engine);
    if (code != 0)
        return Fail(ErrorCode::IO, "scripts/standin.sh start " + engine + " failed (exit " + std::to_string(code) +
                                       "; its log is on stderr and in .standin/" + engine + "/)");
    Standin s;
    s.engine = engine;
    s.env = ParseExports(out);
    const std::string variable = StandinUriVariable();
    s.uri = s.Env(variable);
    if (s.uri.empty())
        return Fail(ErrorCode::IO, "scripts/standin.sh start " + engine + " printed no " + variable + ": " + out);
    for (const auto& [k, v] : s.env) setenv(k.c_str(), v.c_str(), 1);
    const std::string key = "endpoint=http://127.0.0.1:";
    if (size_t at = s.uri.find(key); at != std::string::npos) s.proxy_port = std::atoi(s.uri.c_str() + at + key.size());
    const std::string wh = "http_path=/sql/1.0/warehouses/";
    if (size_t at = s.uri.find(wh); at != std::string::npos)
        s.warehouse_id = s.uri.substr(at + wh.size(), s.uri.find('&', at) - (at + wh.size()));
    if (engine == "databricks" && (s.proxy_port <= 0 || s.warehouse_id.empty()))
        return Fail(ErrorCode::IO, "no proxy endpoint or warehouse ID in the databricks stand-in's URI " + s.uri);
    return s;
}

Status SparkStandin::Stop(const std::string& engine) {
    auto [code, out] = Run(ShellQuote(Script()) + " stop " + ShellQuote(engine));
    if (code != 0) return Fail(ErrorCode::IO, "scripts/standin.sh stop " + engine + " failed (exit " + std::to_string(code) + ")");
    return {};
}

Status SparkStandin::FailNext(const Standin& s, const Fault& f) {
    nlohmann::json rule = {{"count", f.count}};
    if (f.status > 0) {
        rule["status"] = f.status;
        if (f.retry_after >= 0) rule["retry_after"] = f.retry_after;
    } else if (f.drop) {
        rule["drop"] = 1;
    } else if (f.reset) {
        rule["reset"] = 1;
    } else if (f.delay_ms > 0) {
        rule["delay_ms"] = f.delay_ms;
    } else {
        return Fail(ErrorCode::USAGE, "SparkStandin::FailNext: a Fault needs a status, drop, reset or delay_ms");
    }
    auto r = Admin(s, "POST", "/_standin/faults", rule.dump());
    if (!r) return std::unexpected(r.error());
    return {};
}

Status SparkStandin::FailNext(const Standin& s, int status, int count, int retry_after) {
    return FailNext(s, Fault{.status = status, .retry_after = retry_after, .count = count});
}

Status SparkStandin::ClearFaults(const Standin& s) {
    auto r = Admin(s, "DELETE", "/_standin/faults");
    if (!r) return std::unexpected(r.error());
    return {};
}

Result<ProxyStats> SparkStandin::Stats(const Standin& s) {
    auto r = Admin(s, "GET", "/_standin/stats");
    if (!r) return std::unexpected(r.error());
    ProxyStats st;
    st.forwarded = r->value("forwarded", 0L);
    st.faulted = r->value("faulted", 0L);
    st.unauthorized = r->value("unauthorized", 0L);
    st.forbidden = r->value("forbidden", 0L);
    if (r->contains("pending") && (*r)["pending"].is_array()) st.pending = static_cast<long>((*r)["pending"].size());
    return st;
}

Status SparkStandin::ResetStats(const Standin& s) {
    auto r = Admin(s, "DELETE", "/_standin/stats");
    if (!r) return std::unexpected(r.error());
    return {};
}

} // namespace kith::test
