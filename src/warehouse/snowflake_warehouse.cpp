#include "warehouse/snowflake_warehouse.hpp"

#include "common/text.hpp"
#include "sql/introspection.hpp"
#include "sql/printer.hpp"
#include "sql/statement.hpp"
#include "warehouse/rest/http_client.hpp"
#include "warehouse/rest/jwt.hpp"
#include "warehouse/snowflake_values.hpp"
#include "warehouse/staged_writer.hpp"
#include "warehouse/uri_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace kith::warehouse {

using nlohmann::json;

namespace {

constexpr size_t kChunkRows = 2048;
constexpr const char* kEngine = "snowflake";

using text::Lower;
using text::Shortened;
using text::Upper;

// The engine's message of an error answer ({"code", "sqlState", "message"}), else the body itself.
std::string EngineMessage(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("message") || !j["message"].is_string()) {
        return Shortened(body);
    }
    std::string message = j["message"].get<std::string>();
    // Snowflake breaks lines after "SQL compilation error:"; one line reads better in a log.
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::vector<std::string> detail;
    if (j.contains("code") && j["code"].is_string() && !j["code"].get<std::string>().empty()) {
        detail.push_back("code " + j["code"].get<std::string>());
    }
    if (j.contains("sqlState") && j["sqlState"].is_string() && !j["sqlState"].get<std::string>().empty()) {
        detail.push_back("SQLSTATE " + j["sqlState"].get<std::string>());
    }
    if (!detail.empty()) message += " (" + fmt::format("{}", fmt::join(detail, ", ")) + ")";
    return message;
}

bool ValidHandle(std::string_view handle) {
    return !handle.empty() && handle.size() <= 128 &&
           std::all_of(handle.begin(), handle.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

} // namespace

// ---- Credentials ----

struct SnowflakeAuth::Key {
    rest::RsaKey key;
};

std::string SnowflakeAuth::JwtAccount(std::string_view account) {
    std::string_view a = account;
    if (a.find(".global") != std::string_view::npos) {
        a = a.substr(0, a.find('-'));
    } else {
        a = a.substr(0, a.find('.'));
    }
    return Upper(a);
}

Result<std::shared_ptr<SnowflakeAuth>> SnowflakeAuth::FromEnvironment(
    const std::string& account, const std::string& user, const std::function<const char*(const char*)>& getenv) {
    auto value = [&](const char* name) {
        const char* v = getenv(name);
        return std::string(v ? v : "");
    };
    auto auth = std::make_shared<SnowflakeAuth>();
    std::string key_path = value("SNOWFLAKE_PRIVATE_KEY_PATH");
    if (!key_path.empty()) {
        if (user.empty()) {
            return Fail(ErrorCode::USAGE,
                        "key-pair authentication needs a user: put user=NAME in the URI or set SNOWFLAKE_USER",
                        kEngine);
        }
        std::string passphrase = value("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE");
        auto key = rest::RsaKey::FromFile(key_path, passphrase);
        std::fill(passphrase.begin(), passphrase.end(), '\0');
        if (!key) {
            Error e = key.error();
            e.message = "SNOWFLAKE_PRIVATE_KEY_PATH: " + e.message;
            e.location = kEngine;
            return std::unexpected(std::move(e));
        }
        auto fingerprint = key->Fingerprint();
        if (!fingerprint) return std::unexpected(fingerprint.error());
        auth->key_ = std::make_shared<Key>(Key{std::move(*key)});
        auth->subject_ = JwtAccount(account) + "." + Upper(user);
        auth->issuer_ = auth->subject_ + "." + *fingerprint;
        return auth;
    }
    auth->token_ = value("SNOWFLAKE_TOKEN");
    if (auth->token_.empty()) {
        return Fail(ErrorCode::USAGE,
                    "no Snowflake credentials: set SNOWFLAKE_PRIVATE_KEY_PATH (and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE "
                    "for an encrypted key) for key-pair authentication, or SNOWFLAKE_TOKEN (an OAuth or "
                    "programmatic access token)",
                    kEngine);
    }
    return auth;
}

std::string SnowflakeAuth::token_type() const { return key_ ? "KEYPAIR_JWT" : "OAUTH"; }

void SnowflakeAuth::SetLifetimeForTest(std::chrono::seconds lifetime, std::chrono::seconds renew_before) {
    std::lock_guard lock(mutex_);
    lifetime_ = lifetime;
    renew_before_ = renew_before;
}

int SnowflakeAuth::signed_count() const {
    std::lock_guard lock(mutex_);
    return signed_;
}

Result<std::vector<std::string>> SnowflakeAuth::Headers() {
    std::lock_guard lock(mutex_);
    if (key_) {
        auto now = std::chrono::system_clock::now();
        if (token_.empty() || now + renew_before_ >= expires_) {
            auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
            json claims = {{"iss", issuer_}, {"sub", subject_}, {"iat", iat}, {"exp", iat + lifetime_.count()}};
            auto jwt = rest::SignJwt(key_->key, claims);
            if (!jwt) return std::unexpected(jwt.error());
            token_ = std::move(*jwt);
            expires_ = now + lifetime_;
            ++signed_;
        }
    }
    return std::vector<std::string>{"Authorization: Bearer " + token_,
                                    "X-Snowflake-Authorization-Token-Type: " + token_type()};
}

bool SnowflakeAuth::Invalidate() {
    std::lock_guard lock(mutex_);
    if (!key_) return false;
    token_.clear();
    return true;
}

// ---- URIs ----

Result<SnowflakeOptions> SnowflakeWarehouse::ParseUri(const std::string& uri,
                                                      const std::function<const char*(const char*)>& getenv) {
    auto usage = [](std::string message) { return Fail(ErrorCode::USAGE, std::move(message), kEngine); };
    if (!uri.starts_with("snowflake://")) return Fail(ErrorCode::USAGE, "not a snowflake:// URI", uri);
    std::string rest = uri.substr(12);
    // '+' is a space, as in the query strings of Snowflake's own drivers.
    std::map<std::string, std::string> query = TakeQuery(rest, {.plus = Plus::SPACE, .lower_keys = true});
    for (const char* secret : {"password", "token", "private_key", "private_key_path", "passphrase",
                               "private_key_passphrase", "private_key_file_pwd", "secret", "authenticator"}) {
        if (query.count(secret)) {
            return usage(fmt::format("secrets do not belong in warehouse URIs ({}=); set SNOWFLAKE_PRIVATE_KEY_PATH "
                                     "(and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE) or SNOWFLAKE_TOKEN instead",
                                     secret));
        }
    }
    static const char* kKnown[] = {"warehouse", "role", "user", "endpoint", "retry_for", "statement_timeout"};
    for (const auto& [key, value] : query) {
        if (std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return key == k; }) ==
            std::end(kKnown)) {
            return usage(fmt::format("unknown URI parameter {} (known: warehouse, role, user, endpoint, retry_for, "
                                     "statement_timeout)",
                                     key));
        }
    }
    SnowflakeOptions o;
    std::string authority = rest.substr(0, rest.find('/'));
    if (authority.find('@') != std::string::npos) {
        return usage("credentials do not belong in warehouse URIs; name the user with user=NAME and set "
                     "SNOWFLAKE_PRIVATE_KEY_PATH or SNOWFLAKE_TOKEN");
    }
    o.account = PercentDecode(authority, Plus::SPACE);
    if (o.account.empty() || o.account.find_first_of(":/ ") != std::string::npos) {
        return usage("expected snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=WH: " + uri);
    }
    std::string path = rest.size() > authority.size() ? rest.substr(authority.size() + 1) : "";
    std::vector<std::string> parts = PathSegments(path, Plus::SPACE);
    if (parts.size() != 2) return usage("expected snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=WH: " + uri);
    o.database = parts[0];
    o.schema = parts[1];
    o.warehouse = query.count("warehouse") ? query["warehouse"] : "";
    if (o.warehouse.empty()) return usage("snowflake:// needs warehouse=NAME (the virtual warehouse that runs queries)");
    o.role = query.count("role") ? query["role"] : "";
    o.user = query.count("user") ? query["user"] : "";
    if (o.user.empty()) {
        const char* env_user = getenv("SNOWFLAKE_USER");
        o.user = env_user ? env_user : "";
    }
    auto seconds = [&](const char* key, long& out) -> Status {
        const std::string& v = query[key];
        if (v.empty() || v.size() > 7 || v.find_first_not_of("0123456789") != std::string::npos) {
            return usage(fmt::format("{} must be a number of seconds: {}", key, v));
        }
        out = std::stol(v);
        return {};
    };
    if (query.count("retry_for")) {
        long s = 0;
        if (auto ok = seconds("retry_for", s); !ok) return std::unexpected(ok.error());
        o.retry.total = std::chrono::seconds(s);
    }
    if (query.count("statement_timeout")) {
        if (auto ok = seconds("statement_timeout", o.statement_timeout_seconds); !ok) {
            return std::unexpected(ok.error());
        }
    }
    auto endpoint = EndpointParam(query, kEngine);
    if (!endpoint) return std::unexpected(endpoint.error());
    o.base_url = endpoint->empty() ? "https://" + Lower(o.account) + ".snowflakecomputing.com" : *endpoint;
    auto auth = SnowflakeAuth::FromEnvironment(o.account, o.user, getenv);
    if (!auth) return std::unexpected(auth.error());
    o.auth = *auth;
    return o;
}

// ---- The warehouse ----

struct SnowflakeWarehouse::Answer {
    std::string handle;
    json body; // the 200 answer: resultSetMetaData, data (the first partition)
};

SnowflakeWarehouse::SnowflakeWarehouse(SnowflakeOptions options)
    : options_(std::move(options)),
      http_(std::make_unique<rest::HttpClient>(
          rest::HttpClient::Options{30, options_.http_timeout_seconds, kEngine})) {}

SnowflakeWarehouse::~SnowflakeWarehouse() = default;

Result<std::unique_ptr<SnowflakeWarehouse>> SnowflakeWarehouse::Open(const std::string& uri) {
    auto options = ParseUri(uri);
    if (!options) return std::unexpected(options.error());
    return Open(std::move(*options));
}

Result<std::unique_ptr<SnowflakeWarehouse>> SnowflakeWarehouse::Open(SnowflakeOptions options) {
    if (!options.auth) return Fail(ErrorCode::USAGE, "no Snowflake credentials", kEngine);
    // The SQL API keeps no session: there is nothing to open until the first statement.
    return std::unique_ptr<SnowflakeWarehouse>(new SnowflakeWarehouse(std::move(options)));
}

Result<std::unique_ptr<Warehouse>> SnowflakeWarehouse::Connect() {
    auto wh = Open(options_);
    if (!wh) return std::unexpected(wh.error());
    return std::unique_ptr<Warehouse>(std::move(*wh));
}

Error SnowflakeWarehouse::Failure(std::string message) const {
    return Error{ErrorCode::WAREHOUSE, std::move(message), kEngine};
}

std::string SnowflakeWarehouse::StatementUrl(const std::string& handle) const {
    return options_.base_url + "/api/v2/statements/" + handle;
}

void SnowflakeWarehouse::Interrupt() {
    // The statement's thread wakes from its wait (or its HTTP request) at once and cancels the statement.
    running_.RequestStop();
}

Result<rest::HttpResponse> SnowflakeWarehouse::Exchange(std::string_view what, const std::string& method,
                                                        const std::string& url, const std::string& body,
                                                        bool submission, const std::stop_token& stop) {
    RetryLoop loop(options_.retry, stop);
    bool renewed = false;
    bool repeat = false;
    auto give_up = [&](Error e) {
        if (stop.stop_requested()) return std::unexpected(InterruptedError(kEngine)); // the wait before a retry was cut short
        if (loop.failures() > 1) e.message += fmt::format(" (after {} attempts)", loop.failures());
        return std::unexpected(std::move(e));
    };
    while (true) {
        auto auth = options_.auth->Headers();
        if (!auth) return std::unexpected(auth.error());
        rest::HttpRequest request;
        request.method = method;
        // A submission sent again keeps its requestId and says it is a retry: Snowflake then answers with the
        // statement it already has instead of running it twice.
        request.url = submission && repeat ? url + "&retry=true" : url;
        request.headers = std::move(*auth);
        request.headers.push_back("Accept: application/json");
        if (method == "POST") request.headers.push_back("Content-Type: application/json");
        request.body = body;
        // A submission never rides a kept-alive connection: libcurl would resend it by itself on one that turned
        // out closed, without the retry flag.
        request.fresh_connection = submission;
        auto answer = http_->Send(request, stop);
        if (!answer) {
            rest::HttpError& f = answer.error();
            if (f.interrupted) return std::unexpected(InterruptedError(kEngine));
            f.error.message = fmt::format("{}: {}", what, f.error.message);
            // Reads and cancels are idempotent, and a resubmission carries its requestId: every transient failure
            // is worth another attempt.
            if (!loop.Again(f.error)) return give_up(std::move(f.error));
            repeat = true;
            continue;
        }
        long status = answer->status;
        if (status == 401 && !renewed && options_.auth->Invalidate()) {
            // An expired JWT: refused before anything ran, so the request is sent again with a new one.
            renewed = true;
            continue;
        }
        if (rest::IsTransientStatus(status)) {
            Error e = Failure(fmt::format("{}: HTTP {}: {}", what, status, EngineMessage(answer->body)));
            e.transient = true;
            if (!loop.Again(e, answer->RetryAfter())) return give_up(std::move(e));
            repeat = true;
            continue;
        }
        return std::move(*answer);
    }
}

Status SnowflakeWarehouse::Cancel(const std::string& handle) {
    SnowflakeOptions& o = options_;
    RetryPolicy saved = o.retry;
    o.retry.total = std::min(o.retry.total, std::chrono::milliseconds(5000));
    auto answer = Exchange("cancel statement", "POST", StatementUrl(handle) + "/cancel", "{}", false, {});
    o.retry = saved;
    if (!answer) return std::unexpected(answer.error());
    // 422 answers a statement that has finished already: nothing left to cancel.
    if (answer->status != 200 && answer->status != 422) {
        return std::unexpected(
            Failure(fmt::format("cancel statement: HTTP {}: {}", answer->status, EngineMessage(answer->body))));
    }
    return {};
}

Result<SnowflakeWarehouse::Answer> SnowflakeWarehouse::Run(const std::string& sql, std::span<const Param> params,
                                                           bool multi, const std::stop_token& stop) {
    json body = {{"statement", sql},
                 {"timeout", options_.statement_timeout_seconds},
                 {"database", options_.database},
                 {"schema", options_.schema},
                 {"warehouse", options_.warehouse}};
    if (!options_.role.empty()) body["role"] = options_.role;
    if (!params.empty()) {
        json bindings = json::object();
        for (size_t i = 0; i < params.size(); ++i) {
            bindings[std::to_string(i + 1)] = {{"type", "TEXT"},
                                               {"value", params[i] ? json(*params[i]) : json(nullptr)}};
        }
        body["bindings"] = std::move(bindings);
    }
    // UTC sessions (audiences.md, "Time zones"); a query tag names kith to the account's admins.
    body["parameters"] = {{"timezone", "UTC"},
                          {"MULTI_STATEMENT_COUNT", multi ? "0" : "1"},
                          {"QUERY_TAG", "kith"}};
    std::string url = options_.base_url + "/api/v2/statements?requestId=" + rest::NewRequestId() + "&async=true";
    auto submitted = Exchange("submit statement", "POST", url, body.dump(-1, ' ', false, json::error_handler_t::replace),
                              true, stop);
    if (!submitted) return std::unexpected(submitted.error());
    std::string handle;
    auto read_handle = [&](const json& j) {
        if (j.is_object() && j.contains("statementHandle") && j["statementHandle"].is_string()) {
            handle = j["statementHandle"].get<std::string>();
        }
    };
    auto failed = [&](const rest::HttpResponse& r) -> Error {
        if (r.status == 422) return Failure(EngineMessage(r.body));
        if (r.status == 408) return Failure("the statement timed out on the server: " + EngineMessage(r.body));
        return Failure(fmt::format("HTTP {}: {}", r.status, EngineMessage(r.body)));
    };
    rest::HttpResponse answer = std::move(*submitted);
    auto delay = options_.first_poll;
    while (true) {
        if (answer.status != 200 && answer.status != 202) return std::unexpected(failed(answer));
        json j = json::parse(answer.body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            return std::unexpected(Failure(fmt::format("an answer that is not JSON (HTTP {}): {}", answer.status,
                                                       Shortened(answer.body, 500))));
        }
        read_handle(j);
        if (!ValidHandle(handle)) {
            return std::unexpected(Failure("an answer without a valid statementHandle: " + Shortened(answer.body, 500)));
        }
        if (answer.status == 200) return Answer{handle, std::move(j)};
        // Still running: wait (waking at once on Interrupt), then ask again.
        if (!RetryLoop::SleepUnlessStopped(delay, stop)) {
            (void)Cancel(handle);
            return std::unexpected(InterruptedError(kEngine));
        }
        delay = std::min(delay * 2, options_.max_poll);
        auto polled = Exchange("statement status", "GET", StatementUrl(handle), "", false, stop);
        if (!polled) {
            if (stop.stop_requested()) {
                (void)Cancel(handle);
                return std::unexpected(InterruptedError(kEngine));
            }
            return std::unexpected(polled.error());
        }
        answer = std::move(*polled);
    }
}

Status SnowflakeWarehouse::Execute(const std::string& sql, std::span<const Param> params) {
    std::stop_token stop = running_.Begin();
    auto answer = Run(sql, params, params.empty(), stop);
    running_.End();
    if (!answer) return std::unexpected(answer.error());
    return {};
}

// ---- Streamed results ----

class SnowflakeRowStream final : public RowStream {
public:
    SnowflakeRowStream(SnowflakeWarehouse& wh, std::string handle, std::vector<Column> columns,
                       std::vector<snowflake::ResultType> types, size_t partitions, std::stop_token stop)
        : wh_(wh), handle_(std::move(handle)), columns_(std::move(columns)), types_(std::move(types)),
          partitions_(partitions), stop_(std::move(stop)) {}
    ~SnowflakeRowStream() override { Done(); }
    SnowflakeRowStream(const SnowflakeRowStream&) = delete;
    SnowflakeRowStream& operator=(const SnowflakeRowStream&) = delete;

    const std::vector<Column>& columns() const override { return columns_; }
    //! How each column's values are decoded (Snowflake's rowType).
    const std::vector<snowflake::ResultType>& types() const { return types_; }

    //! The first partition, from the statement's answer.
    Status Start(const json& data) {
        next_partition_ = 1;
        return Load(data);
    }

    Result<bool> Next(Chunk& chunk) override {
        chunk.rows.clear();
        while (pos_ >= rows_.size() && !done_) {
            if (next_partition_ >= partitions_) {
                Done();
                break;
            }
            if (auto ok = FetchPartition(); !ok) {
                Done();
                return std::unexpected(ok.error());
            }
        }
        if (pos_ >= rows_.size()) return false;
        size_t n = std::min(kChunkRows, rows_.size() - pos_);
        chunk.rows.assign(std::make_move_iterator(rows_.begin() + static_cast<ptrdiff_t>(pos_)),
                          std::make_move_iterator(rows_.begin() + static_cast<ptrdiff_t>(pos_ + n)));
        pos_ += n;
        if (pos_ >= rows_.size()) {
            rows_.clear();
            rows_.shrink_to_fit(); // one partition in memory: the next one takes its place
            pos_ = 0;
        }
        return true;
    }

private:
    Status Load(const json& data) {
        rows_.clear();
        pos_ = 0;
        if (auto ok = snowflake::AppendRows(data, types_, rows_); !ok) return ok;
        return {};
    }

    // Reads the next partition (only once the previous one was handed out): GET ...?partition=N, gzip accepted.
    Status FetchPartition() {
        if (stop_.stop_requested()) return std::unexpected(InterruptedError(kEngine));
        size_t n = next_partition_++;
        std::string what = fmt::format("fetch partition {} of {}", n, partitions_);
        auto answer = wh_.Exchange(what, "GET", wh_.StatementUrl(handle_) + "?partition=" + std::to_string(n), "",
                                   false, stop_);
        if (!answer) return std::unexpected(answer.error());
        if (answer->status != 200) {
            return std::unexpected(wh_.Failure(
                fmt::format("{}: HTTP {}: {}", what, answer->status, EngineMessage(answer->body))));
        }
        json j = json::parse(answer->body, nullptr, false);
        answer->body = std::string();
        if (j.is_discarded() || !j.is_object()) return std::unexpected(wh_.Failure(what + ": an answer that is not JSON"));
        auto it = j.find("data");
        if (it == j.end()) return std::unexpected(wh_.Failure(what + ": the answer has no data"));
        return Load(*it);
    }

    void Done() {
        if (done_) return;
        done_ = true;
        wh_.running_.End();
    }

    SnowflakeWarehouse& wh_;
    std::string handle_;
    std::vector<Column> columns_;
    std::vector<snowflake::ResultType> types_;
    size_t partitions_ = 1;
    size_t next_partition_ = 1;
    std::stop_token stop_;
    std::vector<std::vector<Cell>> rows_;
    size_t pos_ = 0;
    bool done_ = false;
};

Result<std::unique_ptr<RowStream>> SnowflakeWarehouse::Query(const std::string& sql, std::span<const Param> params) {
    auto stream = Start(sql, params);
    if (!stream) return std::unexpected(stream.error());
    return std::unique_ptr<RowStream>(std::move(*stream));
}

Result<std::unique_ptr<SnowflakeRowStream>> SnowflakeWarehouse::Start(const std::string& sql,
                                                                      std::span<const Param> params) {
    std::stop_token stop = running_.Begin();
    auto answer = Run(sql, params, false, stop);
    if (!answer) {
        running_.End();
        return std::unexpected(answer.error());
    }
    const json& meta = answer->body.contains("resultSetMetaData") ? answer->body["resultSetMetaData"] : json();
    auto row_type = snowflake::ParseRowType(meta.is_object() && meta.contains("rowType") ? meta["rowType"] : json());
    if (!row_type) {
        running_.End();
        return std::unexpected(row_type.error());
    }
    std::vector<Column> columns;
    std::vector<snowflake::ResultType> types;
    for (auto& [column, type] : *row_type) {
        columns.push_back(std::move(column));
        types.push_back(std::move(type));
    }
    size_t partitions = 1;
    if (meta.contains("partitionInfo") && meta["partitionInfo"].is_array() && !meta["partitionInfo"].empty()) {
        partitions = meta["partitionInfo"].size();
    }
    auto stream = std::make_unique<SnowflakeRowStream>(*this, answer->handle, std::move(columns), std::move(types),
                                                       partitions, stop);
    json data = answer->body.contains("data") ? std::move(answer->body["data"]) : json::array();
    answer->body = json();
    if (auto ok = stream->Start(data); !ok) return std::unexpected(ok.error()); // the stream ends the statement
    return stream;
}

// ---- Catalog ----

Result<std::optional<std::vector<Column>>> SnowflakeWarehouse::DescribeTable(const TableName& name) {
    // information_schema of the URI's database; a bare name resolves in the URI's schema.
    Param params[] = {name.database.empty() ? Param{} : Param{name.database},
                      name.schema.empty() ? Param{} : Param{name.schema}, Param{name.table}};
    auto rows = QueryAll(*this, sql::DescribeColumnsQuery(sql_dialect()), params);
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty()) return std::optional<std::vector<Column>>{};
    std::vector<Column> columns;
    for (auto& row : *rows) {
        if (row.size() < 2) return std::unexpected(Failure("DescribeTable: the catalog query has too few columns"));
        Column c{row[0].value_or(""), row[1].value_or(""), DataType::OTHER};
        c.type = snowflake::MapTypeName(c.engine_type);
        columns.push_back(std::move(c));
    }
    return std::optional<std::vector<Column>>(std::move(columns));
}

// ---- kith copy ----

Status SnowflakeWarehouse::CreateTable(const TableName& name, std::span<const ColumnDef> columns) {
    sql::CreateTable create{name, std::vector<ColumnDef>(columns.begin(), columns.end())};
    if (auto ok = Execute(sql::Print(sql::Statement{create}, sql_dialect())); !ok) return ok;
    created_[name.ToString()] = create.columns;
    return {};
}

Result<std::vector<ColumnDef>> SnowflakeWarehouse::ColumnDefs(const TableName& name,
                                                              std::span<const std::string> columns) {
    if (auto it = created_.find(name.ToString()); it != created_.end()) {
        std::vector<ColumnDef> defs;
        for (const auto& wanted : columns) {
            auto c = std::find_if(it->second.begin(), it->second.end(),
                                  [&](const ColumnDef& d) { return d.name == wanted; });
            if (c == it->second.end()) {
                return Fail(ErrorCode::NOT_FOUND, "no column " + wanted + " in the table", name.ToString());
            }
            defs.push_back(*c);
        }
        return defs;
    }
    // The exact types (NUMBER's precision and scale) from the rowType of a query that reads no rows.
    sql::Select select;
    for (const auto& c : columns) select.items.push_back(sql::SelectItem{sql::Col("t", c), ""});
    select.from = sql::Table(name, "t");
    select.Limit(0);
    sql::Query query;
    query.body = std::make_shared<const sql::Select>(std::move(select));
    auto stream = Start(sql::Print(sql::Statement{query}, sql_dialect()), {});
    if (!stream) return std::unexpected(stream.error());
    std::vector<ColumnDef> defs;
    const auto& result_columns = (*stream)->columns();
    if (result_columns.size() != columns.size()) {
        return std::unexpected(Failure(fmt::format("{}: {} columns asked, {} described", name.ToString(),
                                                   columns.size(), result_columns.size())));
    }
    for (size_t i = 0; i < columns.size(); ++i) defs.push_back(snowflake::StorageOf(columns[i], (*stream)->types()[i]));
    return defs;
}

Result<std::unique_ptr<TableWriter>> SnowflakeWarehouse::BulkWriter(const TableName& name,
                                                                    std::span<const std::string> columns) {
    auto defs = ColumnDefs(name, columns);
    if (!defs) return std::unexpected(defs.error());
    // No statement outlives its request, so no transaction can span Append calls: a staging table, and one
    // INSERT ... SELECT at Finish.
    return StagedTableWriter::Start(*this, sql_dialect(), kEngine, name, std::move(*defs));
}

} // namespace kith::warehouse
