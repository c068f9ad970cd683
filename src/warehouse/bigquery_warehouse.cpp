#include "warehouse/bigquery_warehouse.hpp"

#include "sql/introspection.hpp"

#include "common/text.hpp"
#include "sql/printer.hpp"
#include "sql/statement.hpp"
#include "warehouse/bigquery_auth.hpp"
#include "warehouse/rest/http_client.hpp"
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
constexpr const char* kEngine = "bigquery";

using text::Lower;
using text::Shortened;

//! An error answer: {"error": {"code", "message", "errors": [{"reason", "message", ...}], "status"}}.
struct ApiError {
    std::string message;
    std::string reason;
};

ApiError ParseApiError(const std::string& body) {
    ApiError e;
    auto j = json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
        const json& err = j["error"];
        if (err.contains("message") && err["message"].is_string()) e.message = err["message"].get<std::string>();
        if (err.contains("errors") && err["errors"].is_array() && !err["errors"].empty() &&
            err["errors"][0].is_object()) {
            const json& first = err["errors"][0];
            if (first.contains("reason") && first["reason"].is_string()) e.reason = first["reason"].get<std::string>();
            if (e.message.empty() && first.contains("message") && first["message"].is_string()) {
                e.message = first["message"].get<std::string>();
            }
        }
        if (e.reason.empty() && err.contains("status") && err["status"].is_string()) {
            e.reason = err["status"].get<std::string>();
        }
    }
    if (e.message.empty()) e.message = Shortened(body);
    std::replace(e.message.begin(), e.message.end(), '\n', ' ');
    return e;
}

//! Whether a failed call may pass when sent again: BigQuery's "retry later" reasons, and busy or failing servers
//! unless the reason says the request itself is wrong (invalidQuery, notFound, ...).
bool IsTransient(long status, const std::string& reason) {
    static const char* kTransient[] = {"backendError", "rateLimitExceeded", "internalError"};
    static const char* kPermanent[] = {"invalidQuery", "invalid",         "notFound",   "duplicate",  "stopped",
                                       "accessDenied", "authError",       "billingNotEnabled", "blocked",
                                       "quotaExceeded", "resourcesExceeded", "responseTooLarge", "notImplemented",
                                       "jobRateLimitExceeded"};
    for (const char* r : kTransient) {
        if (reason == r) return true;
    }
    for (const char* r : kPermanent) {
        if (reason == r) return false;
    }
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool ValidJobId(std::string_view id) {
    return !id.empty() && id.size() <= 1024 &&
           std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

// Project ids: letters, digits, '-', and a domain prefix ("example.com:project"); dataset ids: letters, digits, '_'.
bool ValidProject(std::string_view p) {
    return !p.empty() && p.size() <= 128 && std::all_of(p.begin(), p.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_';
    });
}

bool ValidDataset(std::string_view d) {
    return !d.empty() && d.size() <= 1024 &&
           std::all_of(d.begin(), d.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

bool ValidLocation(std::string_view l) {
    return l.size() <= 64 &&
           std::all_of(l.begin(), l.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

} // namespace

// ---- URIs ----

Result<BigQueryOptions> BigQueryWarehouse::ParseUri(const std::string& uri,
                                                    const std::function<const char*(const char*)>& getenv) {
    auto usage = [](std::string message) { return Fail(ErrorCode::USAGE, std::move(message), kEngine); };
    const std::string form = "expected bigquery://PROJECT/DATASET[?location=US][&endpoint=URL][&retry_for=SECONDS]";
    if (!uri.starts_with("bigquery://")) return Fail(ErrorCode::USAGE, "not a bigquery:// URI", uri);
    std::string rest = uri.substr(11);
    std::map<std::string, std::string> query = TakeQuery(rest, {.lower_keys = true});
    for (const char* secret : {"token", "access_token", "credentials", "key", "key_file", "private_key", "password",
                               "secret"}) {
        if (query.count(secret)) {
            return usage(fmt::format("secrets do not belong in warehouse URIs ({}=); set "
                                     "GOOGLE_APPLICATION_CREDENTIALS or BIGQUERY_ACCESS_TOKEN instead",
                                     secret));
        }
    }
    for (const auto& [key, value] : query) {
        if (key != "location" && key != "endpoint" && key != "retry_for") {
            return usage(fmt::format("unknown URI parameter {} (known: location, endpoint, retry_for)", key));
        }
    }
    if (rest.find('@') != std::string::npos) {
        return usage("credentials do not belong in warehouse URIs; set GOOGLE_APPLICATION_CREDENTIALS or "
                     "BIGQUERY_ACCESS_TOKEN");
    }
    std::vector<std::string> parts = PathSegments(rest);
    if (parts.size() != 2) return usage(form + ": " + uri);
    BigQueryOptions o;
    o.project = parts[0];
    o.dataset = parts[1];
    if (!ValidProject(o.project)) return usage("not a BigQuery project id: " + o.project);
    if (!ValidDataset(o.dataset)) {
        return usage("not a BigQuery dataset id (letters, digits and underscores): " + o.dataset);
    }
    o.location = query.count("location") ? query["location"] : "";
    if (!ValidLocation(o.location)) return usage("not a BigQuery location: " + o.location);
    if (query.count("retry_for")) {
        const std::string& v = query["retry_for"];
        if (v.empty() || v.size() > 7 || v.find_first_not_of("0123456789") != std::string::npos) {
            return usage("retry_for must be a number of seconds: " + v);
        }
        o.retry.total = std::chrono::seconds(std::stol(v));
    }
    auto endpoint = EndpointParam(query, kEngine);
    if (!endpoint) return std::unexpected(endpoint.error());
    o.base_url = endpoint->empty() ? "https://bigquery.googleapis.com" : *endpoint;
    auto auth = bigquery::Auth::FromEnvironment(getenv);
    if (!auth) return std::unexpected(auth.error());
    o.auth = *auth;
    return o;
}

// ---- The warehouse ----

struct BigQueryWarehouse::Job {
    std::string job_id;
    std::string location;
    json answer; // the complete answer: schema, rows (the first page), pageToken
};

BigQueryWarehouse::BigQueryWarehouse(BigQueryOptions options)
    : options_(std::move(options)),
      http_(std::make_unique<rest::HttpClient>(
          rest::HttpClient::Options{30, options_.http_timeout_seconds, kEngine})) {}

BigQueryWarehouse::~BigQueryWarehouse() = default;

Result<std::unique_ptr<BigQueryWarehouse>> BigQueryWarehouse::Open(const std::string& uri) {
    auto options = ParseUri(uri);
    if (!options) return std::unexpected(options.error());
    return Open(std::move(*options));
}

Result<std::unique_ptr<BigQueryWarehouse>> BigQueryWarehouse::Open(BigQueryOptions options) {
    if (!options.auth) return Fail(ErrorCode::USAGE, "no BigQuery credentials", kEngine);
    // The API keeps no session: nothing to open until the first statement.
    return std::unique_ptr<BigQueryWarehouse>(new BigQueryWarehouse(std::move(options)));
}

Result<std::unique_ptr<Warehouse>> BigQueryWarehouse::Connect() {
    auto wh = Open(options_);
    if (!wh) return std::unexpected(wh.error());
    return std::unique_ptr<Warehouse>(std::move(*wh));
}

const sql::Dialect& BigQueryWarehouse::Dialect() const {
    return sql::Dialect::BigQuery();
}

std::string BigQueryWarehouse::ApiUrl(const std::string& path) const {
    return options_.base_url + "/bigquery/v2/projects/" + PercentEncode(options_.project) + path;
}

void BigQueryWarehouse::Interrupt() {
    // The statement's thread wakes from its wait (or its HTTP request) at once and cancels the job.
    running_.RequestStop();
}

Result<json> BigQueryWarehouse::Call(std::string_view what, const std::string& method, const std::string& url,
                                     const std::string& body, const std::stop_token& stop, bool* maybe_received) {
    RetryLoop loop(options_.retry, stop);
    bool renewed = false;
    last_reason_.clear();
    auto give_up = [&](Error e) {
        if (loop.failures() > 1) e.message += fmt::format(" (after {} attempts)", loop.failures());
        return std::unexpected(std::move(e));
    };
    while (true) {
        auto header = options_.auth->Header(*http_, stop, options_.retry);
        if (!header) {
            if (stop.stop_requested()) return std::unexpected(InterruptedError(kEngine));
            return std::unexpected(header.error());
        }
        rest::HttpRequest request;
        request.method = method;
        request.url = url;
        request.headers = {*header, "Accept: application/json"};
        if (method == "POST") request.headers.push_back("Content-Type: application/json");
        request.body = body;
        auto answer = http_->Send(request, stop);
        if (!answer) {
            rest::HttpError& f = answer.error();
            if (maybe_received && f.maybe_received) *maybe_received = true;
            if (f.interrupted) return std::unexpected(InterruptedError(kEngine));
            f.error.message = fmt::format("{}: {}", what, f.error.message);
            f.error.location = kEngine;
            // Reads and cancels are idempotent, and jobs.query is sent again with its requestId: every transient
            // failure is worth another attempt.
            if (!loop.Again(f.error)) return give_up(std::move(f.error));
            continue;
        }
        if (maybe_received) *maybe_received = true;
        long status = answer->status;
        if (status == 200) {
            auto j = json::parse(answer->body, nullptr, false);
            if (j.is_discarded() || !j.is_object()) {
                return std::unexpected(Error{ErrorCode::WAREHOUSE,
                                             fmt::format("{}: an answer that is not JSON: {}", what,
                                                         Shortened(answer->body, 500)),
                                             kEngine});
            }
            return j;
        }
        ApiError api = ParseApiError(answer->body);
        last_reason_ = api.reason;
        if (status == 401) {
            // An expired token was refused before anything ran: renewed, the request is sent once more.
            if (!renewed && options_.auth->Invalidate(*header)) {
                renewed = true;
                continue;
            }
            return std::unexpected(Error{ErrorCode::WAREHOUSE,
                                         fmt::format("{}: authentication failed with {}: {}{}", what,
                                                     options_.auth->Describe(), api.message,
                                                     api.reason.empty() ? "" : " (" + api.reason + ")"),
                                         kEngine});
        }
        Error e{ErrorCode::WAREHOUSE,
                fmt::format("{}: {}{}", what, api.message, api.reason.empty() ? "" : " (" + api.reason + ")"),
                kEngine};
        e.transient = IsTransient(status, api.reason);
        if (!e.transient) {
            if (api.reason.empty()) e.message = fmt::format("{}: HTTP {}: {}", what, status, api.message);
            return std::unexpected(std::move(e));
        }
        if (!loop.Again(e, answer->RetryAfter())) return give_up(std::move(e));
    }
}

Result<json> BigQueryWarehouse::Results(const std::string& job_id, const std::string& location,
                                        const std::string& page_token, const std::stop_token& stop) {
    std::string url = ApiUrl("/queries/" + PercentEncode(job_id)) + "?formatOptions.useInt64Timestamp=true" +
                      "&maxResults=" + std::to_string(options_.page_rows) +
                      "&timeoutMs=" + std::to_string(options_.wait_ms);
    if (!location.empty()) url += "&location=" + PercentEncode(location);
    if (!page_token.empty()) url += "&pageToken=" + PercentEncode(page_token);
    return Call(page_token.empty() ? "jobs.getQueryResults" : "jobs.getQueryResults (next page)", "GET", url, "",
                stop);
}

Status BigQueryWarehouse::Cancel(const std::string& job_id, const std::string& location) {
    RetryPolicy saved = options_.retry;
    options_.retry.total = std::min(options_.retry.total, std::chrono::milliseconds(5000));
    std::string url = ApiUrl("/jobs/" + PercentEncode(job_id) + "/cancel");
    if (!location.empty()) url += "?location=" + PercentEncode(location);
    auto answer = Call("jobs.cancel", "POST", url, "", {});
    options_.retry = saved;
    if (!answer) return std::unexpected(answer.error());
    return {};
}

Result<BigQueryWarehouse::Job> BigQueryWarehouse::Run(const std::string& sql, std::span<const Param> params,
                                                      const std::stop_token& stop) {
    json body = {{"query", sql},
                 {"useLegacySql", false},
                 {"requestId", rest::NewRequestId()},
                 {"defaultDataset", {{"projectId", options_.project}, {"datasetId", options_.dataset}}},
                 {"timeoutMs", options_.wait_ms},
                 {"maxResults", options_.page_rows},
                 {"formatOptions", {{"useInt64Timestamp", true}}},
                 {"labels", {{"client", "kith"}}}};
    if (!options_.location.empty()) body["location"] = options_.location;
    if (!params.empty()) {
        json list = json::array();
        for (const auto& p : params) {
            // A NULL parameter has a type and no value.
            json value = p ? json{{"value", *p}} : json::object();
            list.push_back({{"parameterType", {{"type", "STRING"}}}, {"parameterValue", std::move(value)}});
        }
        body["parameterMode"] = "POSITIONAL";
        body["queryParameters"] = std::move(list);
    }
    std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
    bool maybe_received = false;
    auto answer = Call("jobs.query", "POST", ApiUrl("/queries"), text, stop, &maybe_received);
    if (!answer) {
        if (stop.stop_requested() && maybe_received) {
            // Interrupted while BigQuery may have the job already: the same requestId names it without running it
            // again; ask for its reference at once (timeoutMs 0) and cancel it.
            body["timeoutMs"] = 0;
            RetryPolicy saved = options_.retry;
            options_.retry.total = std::min(options_.retry.total, std::chrono::milliseconds(5000));
            auto again = Call("jobs.query", "POST", ApiUrl("/queries"),
                              body.dump(-1, ' ', false, json::error_handler_t::replace), {});
            options_.retry = saved;
            if (again && again->contains("jobReference") && (*again)["jobReference"].is_object()) {
                const json& ref = (*again)["jobReference"];
                if (ref.contains("jobId") && ref["jobId"].is_string() && ValidJobId(ref["jobId"].get<std::string>())) {
                    (void)Cancel(ref["jobId"].get<std::string>(), ref.value("location", options_.location));
                }
            }
        }
        return std::unexpected(answer.error());
    }
    Job job;
    const json& ref = answer->contains("jobReference") ? (*answer)["jobReference"] : json();
    if (ref.is_object()) {
        if (ref.contains("jobId") && ref["jobId"].is_string()) job.job_id = ref["jobId"].get<std::string>();
        if (ref.contains("location") && ref["location"].is_string()) job.location = ref["location"].get<std::string>();
    }
    if (job.location.empty()) job.location = options_.location;
    if (!ValidJobId(job.job_id)) {
        return std::unexpected(Error{ErrorCode::WAREHOUSE,
                                     "jobs.query: an answer without a valid jobReference: " +
                                         Shortened(answer->dump(), 500),
                                     kEngine});
    }
    job.answer = std::move(*answer);
    auto delay = options_.first_poll;
    while (!job.answer.value("jobComplete", false)) {
        // Still running: wait (waking at once on Interrupt), then ask again; getQueryResults itself waits up to
        // timeoutMs for the job to end.
        if (!RetryLoop::SleepUnlessStopped(delay, stop)) {
            (void)Cancel(job.job_id, job.location);
            return std::unexpected(InterruptedError(kEngine));
        }
        delay = std::min(delay * 2, options_.max_poll);
        auto polled = Results(job.job_id, job.location, "", stop);
        if (!polled) {
            if (stop.stop_requested()) {
                (void)Cancel(job.job_id, job.location);
                return std::unexpected(InterruptedError(kEngine));
            }
            return std::unexpected(polled.error());
        }
        job.answer = std::move(*polled);
    }
    return job;
}

Status BigQueryWarehouse::Execute(const std::string& sql, std::span<const Param> params) {
    std::stop_token stop = running_.Begin();
    auto job = Run(sql, params, stop);
    running_.End();
    if (!job) return std::unexpected(job.error());
    return {};
}

// ---- Streamed results ----

BigQueryRowStream::BigQueryRowStream(BigQueryWarehouse& wh, std::string job_id, std::string location,
                                     std::stop_token stop)
    : wh_(wh), job_id_(std::move(job_id)), location_(std::move(location)), stop_(std::move(stop)) {}

BigQueryRowStream::~BigQueryRowStream() { Done(); }

void BigQueryRowStream::Done() {
    if (done_) return;
    done_ = true;
    wh_.running_.End();
}

Status BigQueryRowStream::Load(json& answer) {
    if (!have_schema_) {
        auto schema = bigquery::ParseSchema(answer.contains("schema") ? answer["schema"] : json());
        if (!schema) return std::unexpected(schema.error());
        for (auto& [column, type] : *schema) {
            columns_.push_back(std::move(column));
            types_.push_back(std::move(type));
        }
        have_schema_ = true;
    }
    rows_.clear();
    pos_ = 0;
    if (answer.contains("rows")) {
        if (auto ok = bigquery::AppendRows(answer["rows"], types_, rows_); !ok) return ok;
    }
    page_token_ = answer.contains("pageToken") && answer["pageToken"].is_string()
                      ? answer["pageToken"].get<std::string>()
                      : std::string();
    ++pages_;
    max_buffered_ = std::max(max_buffered_, rows_.size());
    return {};
}

Result<bool> BigQueryRowStream::Next(Chunk& chunk) {
    chunk.rows.clear();
    while (pos_ >= rows_.size() && !done_) {
        if (page_token_.empty()) {
            Done();
            break;
        }
        // The next page, only once the previous one was handed out.
        if (stop_.stop_requested()) {
            Done();
            return std::unexpected(InterruptedError(kEngine));
        }
        auto page = wh_.Results(job_id_, location_, page_token_, stop_);
        if (!page) {
            Done();
            return std::unexpected(page.error());
        }
        auto ok = Load(*page);
        if (!ok) {
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
        rows_.shrink_to_fit(); // one page in memory: the next one takes its place
        pos_ = 0;
    }
    return true;
}

Result<std::unique_ptr<RowStream>> BigQueryWarehouse::Query(const std::string& sql, std::span<const Param> params) {
    auto stream = Start(sql, params);
    if (!stream) return std::unexpected(stream.error());
    return std::unique_ptr<RowStream>(std::move(*stream));
}

Result<std::unique_ptr<BigQueryRowStream>> BigQueryWarehouse::Start(const std::string& sql,
                                                                    std::span<const Param> params) {
    std::stop_token stop = running_.Begin();
    auto job = Run(sql, params, stop);
    if (!job) {
        running_.End();
        return std::unexpected(job.error());
    }
    auto stream = std::make_unique<BigQueryRowStream>(*this, job->job_id, job->location, stop);
    if (auto ok = stream->Load(job->answer); !ok) return std::unexpected(ok.error()); // the stream ends the statement
    return stream;
}

// ---- Catalog ----

Result<std::optional<std::vector<Column>>> BigQueryWarehouse::DescribeTable(const TableName& name) {
    std::string project = name.database.empty() ? options_.project : name.database;
    std::string dataset = name.schema.empty() ? options_.dataset : name.schema;
    if (!ValidProject(project) || !ValidDataset(dataset)) return std::optional<std::vector<Column>>{};
    Param params[] = {Param{name.table}};
    auto rows = QueryAll(*this, sql::BigQueryColumnsQuery(project, dataset), params);
    if (!rows) {
        // A dataset that does not exist holds no table.
        if (last_reason_ == "notFound") return std::optional<std::vector<Column>>{};
        return std::unexpected(rows.error());
    }
    if (rows->empty()) return std::optional<std::vector<Column>>{};
    std::vector<Column> columns;
    for (auto& row : *rows) {
        if (row.size() < 2) {
            return Fail(ErrorCode::WAREHOUSE, "DescribeTable: the catalog query has too few columns", kEngine);
        }
        Column c{row[0].value_or(""), row[1].value_or(""), DataType::OTHER};
        c.type = bigquery::MapTypeName(c.engine_type);
        if (c.engine_type.find('<') != std::string::npos) c.type = DataType::OTHER; // ARRAY<...>, STRUCT<...>
        columns.push_back(std::move(c));
    }
    return std::optional<std::vector<Column>>(std::move(columns));
}

Result<std::vector<TableName>> BigQueryWarehouse::ListTables(const std::string& schema) {
    std::vector<std::string> datasets;
    if (!schema.empty()) {
        if (!ValidDataset(schema)) return std::vector<TableName>{};
        datasets.push_back(schema);
    } else {
        auto rows = QueryAll(*this, sql::BigQueryDatasetsQuery(options_.project,
                                                        options_.location.empty() ? "us" : options_.location));
        if (!rows) return std::unexpected(rows.error());
        for (auto& row : *rows) {
            if (!row.empty() && row[0] && ValidDataset(*row[0])) datasets.push_back(*row[0]);
        }
    }
    std::vector<TableName> out;
    for (const auto& dataset : datasets) {
        auto rows = QueryAll(*this, sql::BigQueryTablesQuery(options_.project, dataset));
        if (!rows) {
            if (last_reason_ == "notFound") continue;
            return std::unexpected(rows.error());
        }
        for (auto& row : *rows) {
            if (row.size() >= 2 && row[1]) out.push_back(TableName{"", dataset, *row[1]});
        }
    }
    return out;
}

// ---- kith copy ----

Status BigQueryWarehouse::CreateTable(const TableName& name, std::span<const ColumnDef> columns) {
    sql::CreateTable create{name, std::vector<ColumnDef>(columns.begin(), columns.end())};
    if (auto ok = Execute(sql::Print(sql::Statement{create}, Dialect())); !ok) return ok;
    created_[name.ToString()] = create.columns;
    return {};
}

Result<std::unique_ptr<TableWriter>> BigQueryWarehouse::BulkWriter(const TableName& name,
                                                                   std::span<const std::string> columns) {
    std::vector<ColumnDef> defs;
    auto it = created_.find(name.ToString());
    std::optional<std::vector<Column>> described;
    if (it == created_.end()) {
        auto d = DescribeTable(name);
        if (!d) return std::unexpected(d.error());
        if (!*d) return Fail(ErrorCode::NOT_FOUND, "no such table", name.ToString());
        described = std::move(**d);
    }
    for (const auto& wanted : columns) {
        if (it != created_.end()) {
            auto c = std::find_if(it->second.begin(), it->second.end(),
                                  [&](const ColumnDef& d) { return d.name == wanted; });
            if (c == it->second.end()) return Fail(ErrorCode::NOT_FOUND, "no column " + wanted + " in the table", name.ToString());
            defs.push_back(*c);
        } else {
            auto c = std::find_if(described->begin(), described->end(),
                                  [&](const Column& d) { return d.name == wanted; });
            if (c == described->end()) return Fail(ErrorCode::NOT_FOUND, "no column " + wanted + " in the table", name.ToString());
            defs.push_back(bigquery::StorageOf(c->name, c->engine_type));
        }
    }
    // No transaction spans jobs: a staging table, and one INSERT ... SELECT at Finish.
    return StagedTableWriter::Start(*this, Dialect(), kEngine, name, std::move(defs));
}

} // namespace kith::warehouse
