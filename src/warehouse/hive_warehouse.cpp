#include "warehouse/hive_warehouse.hpp"
#include "warehouse/staged_writer.hpp"
#include "warehouse/uri_text.hpp"

#include "common/text.hpp"
#include "sql/printer.hpp"
#include "sql/statement.hpp"
#include "warehouse/hive/TCLIService.h"
#include "warehouse/hive/databricks_auth.hpp"
#include "warehouse/hive/hive_values.hpp"
#include "warehouse/hive/http_transport.hpp"
#include "warehouse/hive/sasl_transport.hpp"

#include <fmt/format.h>
#include <thrift/TApplicationException.h>
#include <thrift/TOutput.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/transport/TBufferTransports.h>
#include <thrift/transport/TSocket.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

namespace kith::warehouse {

namespace rpc = hive::rpc;
using apache::thrift::TApplicationException;
using apache::thrift::TException;
using apache::thrift::protocol::TBinaryProtocol;
using apache::thrift::transport::TBufferedTransport;
using apache::thrift::transport::TSocket;
using apache::thrift::transport::TTransport;
using apache::thrift::transport::TTransportException;

namespace hive {

//! The Thrift client over its transport, and the server session opened through it.
struct Session {
    std::shared_ptr<TTransport> transport;
    std::unique_ptr<rpc::TCLIServiceClient> client;
    HttpTransport* http = nullptr; //!< the transport when it is HTTP
    TSocket* socket = nullptr;     //!< the socket when the transport is binary
    rpc::TSessionHandle handle;
    bool open = false;   //!< a session is open on the server
    bool broken = false; //!< the binary connection was lost (and the session with it): reopen before the next call
};

} // namespace hive

namespace {

constexpr std::chrono::milliseconds kFirstPoll{10};
constexpr std::chrono::milliseconds kMaxPoll{1000};
constexpr size_t kChunkRows = 2048;

//! Whether a failed call may be sent again.
enum class Repeat {
    SAFE,      //!< reads and idempotent calls: whenever the failure is transient
    IF_UNSENT, //!< a statement: only when the server surely never received it
};

//! A failed call, as the retry loop needs to see it.
struct CallFailure {
    Error error;
    std::optional<std::chrono::milliseconds> retry_after;
    bool maybe_received = true;
};

using text::Lower;

// Spark's messages carry Java's wrapping ("Error running query: [X] org.apache...AnalysisException: [X] ...") and
// sometimes a stack trace: keep the message the user needs.
std::string CleanMessage(std::string message) {
    for (std::string_view trace : {"\n\tat ", "\n    at ", "\n\t... "}) {
        if (auto at = message.find(trace); at != std::string::npos) message.resize(at);
    }
    // What follows the last of Spark's and Hive's own exception class names ("org.apache.spark.sql.AnalysisException:
    // "); other classes (java.io.FileNotFoundException) say what went wrong and stay.
    static const std::regex kJavaClass(
        R"(org\.apache\.(?:spark|hive|hadoop\.hive)\.(?:[a-z_][a-z0-9_]*\.)*[A-Z][A-Za-z0-9_$]*(?:Exception|Error): )");
    std::string rest = message;
    size_t cut = 0;
    for (std::sregex_iterator it(message.begin(), message.end(), kJavaClass), end; it != end; ++it) {
        cut = static_cast<size_t>(it->position() + it->length());
    }
    if (cut > 0 && cut < message.size()) message = message.substr(cut);
    if (message.starts_with("Error running query: ")) message.erase(0, 21);
    // Spark may add the analyzed plan after the message's "SQLSTATE: XXXXX" line.
    if (auto state = message.find("SQLSTATE: "); state != std::string::npos) {
        if (auto eol = message.find('\n', state); eol != std::string::npos) message.resize(eol);
    }
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ' || message.back() == '\r')) {
        message.pop_back();
    }
    size_t lead = message.find_first_not_of(" \r\n");
    return lead == std::string::npos ? std::string() : message.substr(lead);
}

// A "retry later" answer in a TStatus: Databricks' TEMPORARILY_UNAVAILABLE error class, and warehouses that are
// still starting.
bool TransientStatusMessage(std::string_view message) {
    return message.find("TEMPORARILY_UNAVAILABLE") != std::string_view::npos ||
           message.find("retry later") != std::string_view::npos ||
           message.find("Retry later") != std::string_view::npos;
}

std::string StatusMessage(const rpc::TStatus& status) {
    std::string message = CleanMessage(status.errorMessage);
    if (message.empty()) {
        message = status.statusCode == rpc::TStatusCode::INVALID_HANDLE_STATUS ? "invalid handle" : "request failed";
    }
    if (!status.sqlState.empty() && message.find("SQLSTATE") == std::string::npos) {
        message += " (SQLSTATE " + status.sqlState + ")";
    }
    return message;
}

bool StatusOk(const rpc::TStatus& status) {
    return status.statusCode == rpc::TStatusCode::SUCCESS_STATUS ||
           status.statusCode == rpc::TStatusCode::SUCCESS_WITH_INFO_STATUS ||
           status.statusCode == rpc::TStatusCode::STILL_EXECUTING_STATUS;
}

// Escapes a name for a catalog call's search pattern ('_' and '%' are wildcards there).
std::string PatternOf(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (c == '_' || c == '%' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

} // namespace

// ---- URIs ----

Result<HiveOptions> HiveWarehouse::ParseUri(const std::string& uri,
                                            const std::function<const char*(const char*)>& getenv) {
    HiveOptions o;
    std::string rest;
    if (uri.starts_with("spark://")) {
        o.engine = "spark";
        rest = uri.substr(8);
    } else if (uri.starts_with("databricks://")) {
        o.engine = "databricks";
        rest = uri.substr(13);
    } else {
        return Fail(ErrorCode::USAGE, "not a spark:// or databricks:// URI", uri);
    }
    auto usage = [&](std::string message) { return Fail(ErrorCode::USAGE, std::move(message), o.engine); };
    std::map<std::string, std::string> query = TakeQuery(rest);
    std::string authority = rest.substr(0, rest.find('/'));
    std::string path = rest.size() > authority.size() ? rest.substr(authority.size() + 1) : "";
    if (auto at = authority.rfind('@'); at != std::string::npos) {
        std::string userinfo = authority.substr(0, at);
        if (userinfo.find(':') != std::string::npos) {
            return usage("passwords do not belong in warehouse URIs; set SPARK_PASSWORD (Spark) or "
                         "DATABRICKS_TOKEN (Databricks) instead");
        }
        o.user = PercentDecode(userinfo);
        authority = authority.substr(at + 1);
    }
    if (auto colon = authority.rfind(':'); colon != std::string::npos && authority.find(']') == std::string::npos) {
        std::string port = authority.substr(colon + 1);
        if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
            return usage("the port must be a number: " + uri);
        }
        o.port = std::stoi(port);
        o.host = authority.substr(0, colon);
    } else {
        o.host = authority;
        o.port = o.engine == "spark" ? 10000 : 443;
    }
    if (o.host.empty()) return usage("the URI names no host: " + uri);
    std::vector<std::string> parts = PathSegments(path);
    if (query.count("retry_for")) {
        // How long transient failures are retried, in seconds (default 60), as libpq's connect_timeout bounds a connect.
        const std::string& v = query["retry_for"];
        if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
            return usage("retry_for must be a number of seconds: " + v);
        }
        o.retry.total = std::chrono::seconds(std::stoi(v));
    }
    auto endpoint_param = EndpointParam(query, o.engine);
    if (!endpoint_param) return std::unexpected(endpoint_param.error());
    const std::string& endpoint = *endpoint_param;
    auto env = [&](const char* name) {
        const char* v = getenv(name);
        return std::string(v ? v : "");
    };
    if (o.engine == "spark") {
        if (parts.size() > 1) return usage("expected spark://HOST:PORT/DATABASE");
        if (!parts.empty()) o.schema = parts[0];
        o.password = env("SPARK_PASSWORD");
        std::string auth = Lower(query.count("auth") ? query["auth"] : "");
        if (auth == "nosasl") {
            o.sasl = false;
        } else if (!auth.empty() && auth != "plain" && auth != "none") {
            return usage("auth must be nosasl or plain, not " + auth);
        }
        std::string transport = Lower(query.count("transport") ? query["transport"] : "");
        if (transport == "http" || !endpoint.empty()) {
            // Spark's Thrift server in HTTP mode: Basic authentication as the user.
            o.http = true;
            std::string base = endpoint.empty() ? fmt::format("http://{}:{}", o.host, o.port) : endpoint;
            std::string http_path = query.count("http_path") ? query["http_path"] : "/cliservice";
            if (!http_path.starts_with('/')) http_path.insert(0, "/");
            o.url = base + http_path;
            std::string basic = "Basic " + hive::Base64(o.user + ":" + (o.password.empty() ? "x" : o.password));
            o.authorization = [basic] { return Result<std::string>(basic); };
        } else if (!transport.empty() && transport != "binary") {
            return usage("transport must be binary or http");
        }
    } else {
        if (parts.size() != 2) return usage("expected databricks://HOST/CATALOG/SCHEMA?http_path=...");
        o.catalog = parts[0];
        o.schema = parts[1];
        std::string http_path = query.count("http_path") ? query["http_path"] : "";
        if (http_path.empty()) return usage("databricks:// needs http_path=/sql/1.0/warehouses/ID");
        if (!http_path.starts_with('/')) http_path.insert(0, "/");
        o.http = true;
        std::string base = endpoint.empty() ? "https://" + authority : endpoint;
        o.url = base + http_path;
        auto auth = hive::DatabricksAuth::FromEnvironment(base, getenv);
        if (!auth) return std::unexpected(auth.error());
        std::shared_ptr<hive::DatabricksAuth> shared = *auth;
        o.authorization = [shared] { return shared->Authorization(); };
        o.unauthorized = [shared] { return shared->Invalidate(); };
    }
    return o;
}

// ---- Thrift calls ----

namespace {

// Runs one Thrift call and turns every way it can fail into a CallFailure (exceptions stop here).
template <class Resp, class Fn>
std::optional<CallFailure> TryCall(hive::Session& s, const HiveOptions& o, std::string_view what, Resp& resp,
                                   Fn& fn) {
    auto failure = [&](std::string message, bool transient, bool maybe_received) {
        Error e{ErrorCode::WAREHOUSE, fmt::format("{}: {}", what, message), o.engine};
        e.transient = transient;
        return CallFailure{std::move(e), std::nullopt, maybe_received};
    };
    try {
        fn(*s.client, resp);
    } catch (const hive::HttpFailure& e) {
        CallFailure f = failure(e.what(), e.transient, e.maybe_received);
        f.retry_after = e.retry_after;
        return f;
    } catch (const TTransportException& e) {
        bool unsent = e.getType() == TTransportException::NOT_OPEN;
        if (o.http) {
            // An answer cut short: the next request travels on its own.
            return failure(fmt::format("incomplete answer: {}", e.what()), true, !unsent);
        }
        // The binary connection is gone, and the server closes the session with it.
        s.broken = true;
        return failure(fmt::format("connection to {}:{} lost: {}", o.host, o.port, e.what()), true, !unsent);
    } catch (const TApplicationException& e) {
        return failure(fmt::format("the server failed the call: {}", e.what()), false, true);
    } catch (const TException& e) {
        if (!o.http) s.broken = true;
        return failure(fmt::format("unreadable answer: {}", e.what()), false, true);
    }
    if (!StatusOk(resp.status)) {
        // The server answered: it did not take the request on, so a "retry later" may be repeated safely.
        bool transient = TransientStatusMessage(resp.status.errorMessage);
        Error e{ErrorCode::WAREHOUSE, StatusMessage(resp.status), o.engine};
        e.transient = transient;
        return CallFailure{std::move(e), std::nullopt, !transient};
    }
    return std::nullopt;
}

// One call with retries of transient failures (as repeat allows) until it succeeds or the loop gives up.
template <class Resp, class Fn>
Result<Resp> Call(hive::Session& s, const HiveOptions& o, std::string_view what, Repeat repeat,
                  const std::stop_token& stop, Fn fn, bool* repeated_after_delivery = nullptr) {
    RetryLoop loop(o.retry, stop);
    while (true) {
        if (s.broken) {
            Error e{ErrorCode::WAREHOUSE, fmt::format("{}: the connection to the server was lost", what), o.engine};
            e.transient = true;
            return std::unexpected(std::move(e));
        }
        Resp resp;
        std::optional<CallFailure> f = TryCall(s, o, what, resp, fn);
        if (!f) return resp;
        // Over a binary connection a lost connection takes the session with it: nothing can be repeated.
        bool repeatable = !s.broken && (repeat == Repeat::SAFE || !f->maybe_received);
        if (!repeatable || !loop.Again(f->error, f->retry_after)) {
            if (loop.failures() > 1) {
                f->error.message += fmt::format(" (after {} attempts)", loop.failures());
            }
            return std::unexpected(std::move(f->error));
        }
        if (f->maybe_received && repeated_after_delivery != nullptr) *repeated_after_delivery = true;
    }
}

Status OpenTransport(hive::Session& s, const HiveOptions& o) {
    // Thrift prints its own errors to stderr; kith reports them as errors of its calls instead.
    static std::once_flag quiet;
    std::call_once(quiet, [] { apache::thrift::GlobalOutput.setOutputFunction([](const char*) {}); });
    std::shared_ptr<TTransport> transport;
    if (o.http) {
        hive::HttpTransport::Options http;
        http.url = o.url;
        http.authorization = o.authorization;
        http.unauthorized = o.unauthorized;
        http.timeout_seconds = o.timeout_seconds;
        auto http_transport = std::make_shared<hive::HttpTransport>(std::move(http));
        s.http = http_transport.get();
        s.socket = nullptr;
        transport = http_transport;
    } else {
        s.http = nullptr;
        auto socket = std::make_shared<TSocket>(o.host, o.port);
        s.socket = socket.get();
        socket->setConnTimeout(30000);
        socket->setRecvTimeout(static_cast<int>(o.timeout_seconds * 1000));
        socket->setSendTimeout(static_cast<int>(o.timeout_seconds * 1000));
        socket->setKeepAlive(true);
        if (o.sasl) {
            transport = std::make_shared<hive::SaslPlainTransport>(socket, o.user, o.password);
        } else {
            transport = std::make_shared<TBufferedTransport>(socket);
        }
    }
    try {
        transport->open();
    } catch (const TTransportException& e) {
        // A refused or unreachable server is worth trying again; a refused login is not.
        std::string what = e.what();
        bool refused_login = what.find("SASL authentication refused") != std::string::npos;
        Error err{ErrorCode::WAREHOUSE, fmt::format("cannot connect to {}:{}: {}", o.host, o.port, what), o.engine};
        err.transient = !refused_login;
        return std::unexpected(std::move(err));
    } catch (const TException& e) {
        return Fail(ErrorCode::WAREHOUSE, fmt::format("cannot connect to {}:{}: {}", o.host, o.port, e.what()),
                    o.engine);
    }
    s.transport = transport;
    s.client = std::make_unique<rpc::TCLIServiceClient>(std::make_shared<TBinaryProtocol>(transport));
    s.broken = false;
    s.open = false;
    return {};
}

// Connects (binary: socket and SASL) and opens a session, retrying transient failures.
Status OpenSession(hive::Session& s, const HiveOptions& o) {
    RetryLoop loop(o.retry);
    while (true) {
        Status connected = OpenTransport(s, o);
        if (!connected) {
            if (loop.Again(connected.error())) continue;
            return connected;
        }
        rpc::TOpenSessionReq req;
        req.__set_client_protocol(rpc::TProtocolVersion::HIVE_CLI_SERVICE_PROTOCOL_V10);
        if (!o.http) {
            req.__set_username(o.user);
            req.__set_password(o.password);
        }
        std::map<std::string, std::string> conf;
        conf["use:database"] = o.schema;
        // Spark applies "set:hiveconf:" keys as SQL configuration of the new session.
        conf["set:hiveconf:spark.sql.session.timeZone"] = "UTC";
        req.__set_configuration(conf);
        if (!o.catalog.empty()) {
            rpc::TNamespace ns;
            ns.__set_catalogName(o.catalog);
            ns.__set_schemaName(o.schema);
            req.__set_initialNamespace(ns);
        }
        rpc::TOpenSessionResp resp;
        auto call = [&](rpc::TCLIServiceClient& c, rpc::TOpenSessionResp& r) { c.OpenSession(r, req); };
        std::optional<CallFailure> f = TryCall(s, o, "OpenSession", resp, call);
        if (!f) {
            if (!resp.__isset.sessionHandle) {
                return Fail(ErrorCode::WAREHOUSE, "OpenSession: the server sent no session handle", o.engine);
            }
            if (resp.serverProtocolVersion < rpc::TProtocolVersion::HIVE_CLI_SERVICE_PROTOCOL_V6) {
                return Fail(ErrorCode::WAREHOUSE,
                            fmt::format("the server speaks HiveServer2 protocol V{}; kith needs V6 or later",
                                        static_cast<int>(resp.serverProtocolVersion) + 1),
                            o.engine);
            }
            s.handle = resp.sessionHandle;
            s.open = true;
            return {};
        }
        // Opening a session has no effect worth protecting: it is repeated whenever the failure is transient.
        if (!loop.Again(f->error, f->retry_after)) return std::unexpected(std::move(f->error));
    }
}

void CloseQuietly(hive::Session& s, const HiveOptions& o, const rpc::TOperationHandle& op) {
    if (s.broken || !s.client) return;
    rpc::TCloseOperationReq req;
    req.__set_operationHandle(op);
    RetryPolicy quick = o.retry;
    quick.total = std::min(quick.total, std::chrono::milliseconds(5000));
    HiveOptions short_retry = o;
    short_retry.retry = quick;
    (void)Call<rpc::TCloseOperationResp>(s, short_retry, "CloseOperation", Repeat::SAFE, {},
                                         [&](rpc::TCLIServiceClient& c, rpc::TCloseOperationResp& r) {
                                             c.CloseOperation(r, req);
                                         });
}

void CancelQuietly(hive::Session& s, const HiveOptions& o, const rpc::TOperationHandle& op) {
    if (s.broken || !s.client) return;
    rpc::TCancelOperationReq req;
    req.__set_operationHandle(op);
    HiveOptions short_retry = o;
    short_retry.retry.total = std::min(o.retry.total, std::chrono::milliseconds(5000));
    (void)Call<rpc::TCancelOperationResp>(s, short_retry, "CancelOperation", Repeat::SAFE, {},
                                          [&](rpc::TCLIServiceClient& c, rpc::TCancelOperationResp& r) {
                                              c.CancelOperation(r, req);
                                          });
}

} // namespace

// ---- The warehouse ----

struct HiveWarehouse::Operation {
    rpc::TOperationHandle handle;
};

HiveWarehouse::HiveWarehouse(HiveOptions options)
    : options_(std::move(options)), session_(std::make_unique<hive::Session>()) {}

HiveWarehouse::~HiveWarehouse() {
    if (session_ && session_->open && !session_->broken && session_->client) {
        // Closing is a courtesy (the server ends idle sessions itself): it does not wait long.
        if (session_->http) session_->http->SetTimeoutSeconds(10);
        if (session_->socket) session_->socket->setRecvTimeout(10000);
        rpc::TCloseSessionReq req;
        req.__set_sessionHandle(session_->handle);
        rpc::TCloseSessionResp resp;
        try {
            session_->client->CloseSession(resp, req);
        } catch (const TException&) {
            // The server closes an abandoned session itself.
        }
    }
    if (session_ && session_->transport) {
        try {
            session_->transport->close();
        } catch (const TException&) {
        }
    }
}

Result<std::unique_ptr<HiveWarehouse>> HiveWarehouse::Open(const std::string& uri) {
    auto options = ParseUri(uri);
    if (!options) return std::unexpected(options.error());
    return Open(std::move(*options));
}

Result<std::unique_ptr<HiveWarehouse>> HiveWarehouse::Open(HiveOptions options) {
    std::unique_ptr<HiveWarehouse> wh(new HiveWarehouse(std::move(options)));
    if (auto ok = OpenSession(*wh->session_, wh->options_); !ok) return std::unexpected(ok.error());
    return wh;
}

Result<std::unique_ptr<Warehouse>> HiveWarehouse::Connect() {
    auto wh = Open(options_);
    if (!wh) return std::unexpected(wh.error());
    return std::unique_ptr<Warehouse>(std::move(*wh));
}

Status HiveWarehouse::EnsureSession() {
    if (session_->open && !session_->broken) return {};
    // A lost binary connection took its session along; no statement depends on session state, so a new one serves.
    if (session_->transport) {
        try {
            session_->transport->close();
        } catch (const TException&) {
        }
    }
    return OpenSession(*session_, options_);
}

Error HiveWarehouse::Failure(std::string message) const {
    return Error{ErrorCode::WAREHOUSE, std::move(message), options_.engine};
}

void HiveWarehouse::Interrupt() {
    // The statement's thread wakes from its wait at once and cancels the operation on the server.
    running_.RequestStop();
}

Result<HiveWarehouse::Operation> HiveWarehouse::Run(const std::string& sql, const std::stop_token& stop) {
    hive::Session& s = *session_;
    rpc::TExecuteStatementReq req;
    req.__set_sessionHandle(s.handle);
    req.__set_statement(sql);
    req.__set_runAsync(true);
    // A statement never goes over a kept-alive connection: libcurl would send it again by itself if that
    // connection turned out closed.
    if (s.http) s.http->SetFreshConnection(true);
    auto executed = Call<rpc::TExecuteStatementResp>(
        s, options_, "ExecuteStatement", Repeat::IF_UNSENT, stop,
        [&](rpc::TCLIServiceClient& c, rpc::TExecuteStatementResp& r) { c.ExecuteStatement(r, req); });
    if (s.http) s.http->SetFreshConnection(false);
    if (!executed) {
        if (stop.stop_requested()) return std::unexpected(InterruptedError(options_.engine));
        return std::unexpected(executed.error());
    }
    if (!executed->__isset.operationHandle) return std::unexpected(Failure("ExecuteStatement: no operation handle"));
    Operation op{executed->operationHandle};

    rpc::TGetOperationStatusReq status_req;
    status_req.__set_operationHandle(op.handle);
    auto delay = kFirstPoll;
    while (true) {
        if (stop.stop_requested()) {
            CancelQuietly(s, options_, op.handle);
            CloseQuietly(s, options_, op.handle);
            return std::unexpected(InterruptedError(options_.engine));
        }
        auto status = Call<rpc::TGetOperationStatusResp>(
            s, options_, "GetOperationStatus", Repeat::SAFE, stop,
            [&](rpc::TCLIServiceClient& c, rpc::TGetOperationStatusResp& r) { c.GetOperationStatus(r, status_req); });
        if (!status) {
            if (stop.stop_requested()) {
                CancelQuietly(s, options_, op.handle);
                CloseQuietly(s, options_, op.handle);
                return std::unexpected(InterruptedError(options_.engine));
            }
            CloseQuietly(s, options_, op.handle);
            return std::unexpected(status.error());
        }
        switch (status->operationState) {
        case rpc::TOperationState::FINISHED_STATE:
            return op;
        case rpc::TOperationState::ERROR_STATE:
        case rpc::TOperationState::TIMEDOUT_STATE:
        case rpc::TOperationState::UKNOWN_STATE: {
            std::string message = CleanMessage(status->errorMessage);
            if (message.empty()) {
                message = status->operationState == rpc::TOperationState::TIMEDOUT_STATE
                              ? "the statement timed out on the server"
                              : "the statement failed";
            }
            if (!status->sqlState.empty() && message.find("SQLSTATE") == std::string::npos) {
                message += " (SQLSTATE " + status->sqlState + ")";
            }
            CloseQuietly(s, options_, op.handle);
            return std::unexpected(Failure(std::move(message)));
        }
        case rpc::TOperationState::CANCELED_STATE:
        case rpc::TOperationState::CLOSED_STATE:
            CloseQuietly(s, options_, op.handle);
            if (stop.stop_requested()) return std::unexpected(InterruptedError(options_.engine));
            return std::unexpected(Failure("the statement was cancelled on the server"));
        default:
            break;
        }
        // Still running: wait (waking at once on Interrupt), then ask again.
        RetryLoop::SleepUnlessStopped(delay, stop);
        delay = std::min(delay * 2, kMaxPoll);
    }
}

Status HiveWarehouse::Execute(const std::string& sql, std::span<const Param> params) {
    if (!params.empty()) {
        return Fail(ErrorCode::USAGE, "the HiveServer2 protocol has no bound parameters; put values in the SQL tree",
                    options_.engine);
    }
    if (auto ok = EnsureSession(); !ok) return ok;
    std::stop_token stop = running_.Begin();
    auto op = Run(sql, stop);
    running_.End();
    if (!op) return std::unexpected(op.error());
    CloseQuietly(*session_, options_, op->handle);
    return {};
}

// ---- Streamed results ----

class HiveRowStream final : public RowStream {
public:
    HiveRowStream(HiveWarehouse& wh, rpc::TOperationHandle op, std::vector<Column> columns,
                  std::vector<rpc::TTypeId::type> types, std::stop_token stop)
        : wh_(wh), op_(std::move(op)), columns_(std::move(columns)), types_(std::move(types)),
          stop_(std::move(stop)) {}
    ~HiveRowStream() override { Done(); }
    HiveRowStream(const HiveRowStream&) = delete;
    HiveRowStream& operator=(const HiveRowStream&) = delete;

    const std::vector<Column>& columns() const override { return columns_; }

    Result<bool> Next(Chunk& chunk) override {
        chunk.rows.clear();
        while (page_pos_ >= page_.size() && !done_) {
            if (auto ok = FetchPage(); !ok) {
                Done();
                return std::unexpected(ok.error());
            }
        }
        if (page_pos_ >= page_.size()) return false;
        size_t n = std::min(kChunkRows, page_.size() - page_pos_);
        chunk.rows.assign(std::make_move_iterator(page_.begin() + static_cast<ptrdiff_t>(page_pos_)),
                          std::make_move_iterator(page_.begin() + static_cast<ptrdiff_t>(page_pos_ + n)));
        page_pos_ += n;
        if (page_pos_ >= page_.size()) {
            page_.clear();
            page_pos_ = 0;
        }
        return true;
    }

private:
    // Reads the next page into page_; marks the stream done after the last.
    Status FetchPage() {
        page_.clear();
        page_pos_ = 0;
        if (exhausted_) {
            Done();
            return {};
        }
        const HiveOptions& o = wh_.options_;
        hive::Session& s = *wh_.session_;
        if (stop_.stop_requested()) {
            CancelQuietly(s, o, op_);
            return std::unexpected(InterruptedError(o.engine));
        }
        rpc::TFetchResultsReq req;
        req.__set_operationHandle(op_);
        req.__set_orientation(rewind_ ? rpc::TFetchOrientation::FETCH_FIRST : rpc::TFetchOrientation::FETCH_NEXT);
        req.__set_maxRows(o.page_rows);
        bool repeated = false;
        auto fetched = Call<rpc::TFetchResultsResp>(
            s, o, "FetchResults", Repeat::SAFE, stop_,
            [&](rpc::TCLIServiceClient& c, rpc::TFetchResultsResp& r) { c.FetchResults(r, req); }, &repeated);
        if (!fetched) {
            if (stop_.stop_requested()) {
                CancelQuietly(s, o, op_);
                return std::unexpected(InterruptedError(o.engine));
            }
            return std::unexpected(fetched.error());
        }
        const rpc::TRowSet& rows = fetched->results;
        size_t n = hive::RowCount(rows);
        size_t skip = 0;
        if (repeated || rewind_ || catching_up_) {
            // A FETCH_NEXT that may have been answered before its answer was lost moved the server's cursor: check
            // where this page starts; when rows were skipped, read again from the first row (FETCH_FIRST) and
            // leave out what was received already, checking each page until the new rows begin.
            auto start = static_cast<uint64_t>(std::max<int64_t>(rows.startRowOffset, 0));
            if (start > offset_) {
                if (rewind_ || catching_up_) {
                    return std::unexpected(Failure("FetchResults: a page was lost and the server cannot re-read it"));
                }
                rewind_ = true;
                return {};
            }
            skip = static_cast<size_t>(std::min<uint64_t>(offset_ - start, n));
            rewind_ = false;
            catching_up_ = n > 0 && skip == n;
        }
        if (auto ok = hive::AppendRows(rows, types_, page_, skip); !ok) {
            Error e = ok.error();
            e.location = o.engine;
            return std::unexpected(std::move(e));
        }
        offset_ += page_.size();
        // An empty page ends the result (hasMoreRows is not reliable on every server).
        if (n == 0) exhausted_ = true;
        if (page_.empty() && n == 0) Done();
        return {};
    }

    Error Failure(std::string message) const { return Error{ErrorCode::WAREHOUSE, std::move(message),
                                                            wh_.options_.engine}; }

    void Done() {
        if (done_) return;
        done_ = true;
        CloseQuietly(*wh_.session_, wh_.options_, op_);
        wh_.running_.End();
    }

    HiveWarehouse& wh_;
    rpc::TOperationHandle op_;
    std::vector<Column> columns_;
    std::vector<rpc::TTypeId::type> types_;
    std::stop_token stop_;
    std::vector<std::vector<Cell>> page_;
    size_t page_pos_ = 0;
    uint64_t offset_ = 0; // rows received so far
    bool rewind_ = false;      // the next fetch is FETCH_FIRST
    bool catching_up_ = false; // re-reading rows received already
    bool exhausted_ = false;
    bool done_ = false;
};

Result<std::unique_ptr<RowStream>> HiveWarehouse::Query(const std::string& sql, std::span<const Param> params) {
    if (!params.empty()) {
        return Fail(ErrorCode::USAGE, "the HiveServer2 protocol has no bound parameters; put values in the SQL tree",
                    options_.engine);
    }
    if (auto ok = EnsureSession(); !ok) return std::unexpected(ok.error());
    std::stop_token stop = running_.Begin();
    auto op = Run(sql, stop);
    if (!op) {
        running_.End();
        return std::unexpected(op.error());
    }
    rpc::TGetResultSetMetadataReq req;
    req.__set_operationHandle(op->handle);
    auto meta = Call<rpc::TGetResultSetMetadataResp>(
        *session_, options_, "GetResultSetMetadata", Repeat::SAFE, stop,
        [&](rpc::TCLIServiceClient& c, rpc::TGetResultSetMetadataResp& r) { c.GetResultSetMetadata(r, req); });
    if (!meta) {
        CloseQuietly(*session_, options_, op->handle);
        running_.End();
        return std::unexpected(meta.error());
    }
    std::vector<Column> columns = hive::ResultColumns(meta->schema);
    std::vector<rpc::TTypeId::type> types;
    for (const auto& c : meta->schema.columns) types.push_back(hive::TopTypeId(c.typeDesc));
    return std::unique_ptr<RowStream>(
        std::make_unique<HiveRowStream>(*this, op->handle, std::move(columns), std::move(types), stop));
}

// ---- Catalog ----

//! The rows of a finished catalog call (GetTables, GetColumns) by column name.
struct HiveWarehouse::CatalogRows {
    std::map<std::string, size_t> index;
    std::vector<std::vector<Cell>> rows;
    std::string Text(const std::vector<Cell>& row, const std::string& column) const {
        auto it = index.find(column);
        return it == index.end() ? "" : row[it->second].value_or("");
    }
};

Result<HiveWarehouse::CatalogRows> HiveWarehouse::ReadCatalog(const rpc::TOperationHandle& op, std::string_view what,
                                                             const std::stop_token& stop,
                                                             std::initializer_list<const char*> needed) {
    // Catalog calls finish at once on Spark; others may run them asynchronously.
    rpc::TGetOperationStatusReq status_req;
    status_req.__set_operationHandle(op);
    auto fail = [&](Error e) {
        CloseQuietly(*session_, options_, op);
        return std::unexpected(std::move(e));
    };
    auto delay = kFirstPoll;
    while (true) {
        auto status = Call<rpc::TGetOperationStatusResp>(
            *session_, options_, "GetOperationStatus", Repeat::SAFE, stop,
            [&](rpc::TCLIServiceClient& c, rpc::TGetOperationStatusResp& r) { c.GetOperationStatus(r, status_req); });
        if (!status) return fail(status.error());
        if (status->operationState == rpc::TOperationState::FINISHED_STATE) break;
        if (status->operationState != rpc::TOperationState::RUNNING_STATE &&
            status->operationState != rpc::TOperationState::PENDING_STATE &&
            status->operationState != rpc::TOperationState::INITIALIZED_STATE) {
            std::string message = CleanMessage(status->errorMessage);
            return fail(Failure(fmt::format("{}: {}", what, message.empty() ? "failed" : message)));
        }
        if (!RetryLoop::SleepUnlessStopped(delay, stop)) {
            CancelQuietly(*session_, options_, op);
            return fail(InterruptedError(options_.engine));
        }
        delay = std::min(delay * 2, kMaxPoll);
    }
    rpc::TGetResultSetMetadataReq meta_req;
    meta_req.__set_operationHandle(op);
    auto meta = Call<rpc::TGetResultSetMetadataResp>(
        *session_, options_, "GetResultSetMetadata", Repeat::SAFE, stop,
        [&](rpc::TCLIServiceClient& c, rpc::TGetResultSetMetadataResp& r) { c.GetResultSetMetadata(r, meta_req); });
    if (!meta) return fail(meta.error());
    CatalogRows out;
    std::vector<rpc::TTypeId::type> types;
    for (size_t i = 0; i < meta->schema.columns.size(); ++i) {
        types.push_back(hive::TopTypeId(meta->schema.columns[i].typeDesc));
        out.index[meta->schema.columns[i].columnName] = i;
    }
    for (const char* column : needed) {
        if (!out.index.count(column)) return fail(Failure(fmt::format("{}: the result has no {} column", what, column)));
    }
    // The stream closes the operation when it is read to its end (or dropped).
    HiveRowStream stream(*this, op, hive::ResultColumns(meta->schema), types, stop);
    Chunk chunk;
    while (true) {
        auto more = stream.Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        for (auto& row : chunk.rows) out.rows.push_back(std::move(row));
    }
    return out;
}

Result<std::optional<std::vector<Column>>> HiveWarehouse::DescribeWithStatement(const TableName& name) {
    auto rows = QueryAll(*this, sql::Print(sql::DescribeTable{name}, sql::Dialect::Spark()));
    if (!rows) {
        if (rows.error().message.find("TABLE_OR_VIEW_NOT_FOUND") != std::string::npos) {
            return std::optional<std::vector<Column>>{};
        }
        return std::unexpected(rows.error());
    }
    std::vector<Column> columns;
    for (const auto& row : *rows) {
        // Columns first, then a blank or "# ..." row before partition and detail sections.
        if (row.size() < 2 || !row[0] || row[0]->empty() || row[0]->starts_with("#")) break;
        Column c{*row[0], row[1].value_or(""), DataType::OTHER};
        c.type = hive::MapTypeName(c.engine_type);
        columns.push_back(std::move(c));
    }
    return std::optional<std::vector<Column>>(std::move(columns));
}

Result<std::optional<std::vector<Column>>> HiveWarehouse::DescribeTable(const TableName& name) {
    if (auto ok = EnsureSession(); !ok) return std::unexpected(ok.error());
    std::string catalog = name.database.empty() ? options_.catalog : name.database;
    std::string schema = name.schema.empty() ? options_.schema : name.schema;
    rpc::TGetColumnsReq req;
    req.__set_sessionHandle(session_->handle);
    if (!catalog.empty()) req.__set_catalogName(catalog);
    req.__set_schemaName(PatternOf(schema));
    req.__set_tableName(PatternOf(name.table));
    req.__set_columnName("%");
    std::stop_token stop = running_.Begin();
    auto started = Call<rpc::TGetColumnsResp>(
        *session_, options_, "GetColumns", Repeat::SAFE, stop,
        [&](rpc::TCLIServiceClient& c, rpc::TGetColumnsResp& r) { c.GetColumns(r, req); });
    // Spark's Thrift server cannot map its TIME type (spark.sql.timeType.enabled) to a JDBC type, so GetColumns
    // fails on a table with a TIME column: DESCRIBE TABLE tells the columns then.
    auto untyped = [](const Error& e) { return e.message.find("Unrecognized type name") != std::string::npos; };
    TableName described{catalog == options_.catalog ? "" : catalog, schema, name.table};
    if (!started) {
        running_.End();
        if (untyped(started.error())) return DescribeWithStatement(described);
        return std::unexpected(started.error());
    }
    auto catalog_rows = ReadCatalog(started->operationHandle, "GetColumns", stop,
                                    {"TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "TYPE_NAME", "ORDINAL_POSITION"});
    running_.End();
    if (!catalog_rows) {
        if (untyped(catalog_rows.error())) return DescribeWithStatement(described);
        return std::unexpected(catalog_rows.error());
    }
    struct Found {
        long long position;
        Column column;
    };
    std::vector<Found> found;
    for (const auto& row : catalog_rows->rows) {
        auto text = [&](const char* column) { return catalog_rows->Text(row, column); };
        // The names were patterns: keep exact matches only (Spark's names are case-insensitive).
        if (Lower(text("TABLE_NAME")) != Lower(name.table) || Lower(text("TABLE_SCHEM")) != Lower(schema)) continue;
        Column c{text("COLUMN_NAME"), text("TYPE_NAME"), DataType::OTHER};
        c.type = hive::MapTypeName(c.engine_type);
        long long position = static_cast<long long>(found.size());
        try {
            position = std::stoll(text("ORDINAL_POSITION"));
        } catch (const std::exception&) {
        }
        found.push_back({position, std::move(c)});
    }
    if (found.empty()) return std::optional<std::vector<Column>>{};
    std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.position < b.position; });
    std::vector<Column> columns;
    for (auto& f : found) columns.push_back(std::move(f.column));
    return std::optional<std::vector<Column>>(std::move(columns));
}

Result<std::vector<TableName>> HiveWarehouse::ListTables(const std::string& schema) {
    if (auto ok = EnsureSession(); !ok) return std::unexpected(ok.error());
    rpc::TGetTablesReq req;
    req.__set_sessionHandle(session_->handle);
    if (!options_.catalog.empty()) req.__set_catalogName(options_.catalog);
    req.__set_schemaName(schema.empty() ? "%" : PatternOf(schema));
    req.__set_tableName("%");
    std::stop_token stop = running_.Begin();
    auto started = Call<rpc::TGetTablesResp>(
        *session_, options_, "GetTables", Repeat::SAFE, stop,
        [&](rpc::TCLIServiceClient& c, rpc::TGetTablesResp& r) { c.GetTables(r, req); });
    if (!started) {
        running_.End();
        return std::unexpected(started.error());
    }
    auto catalog_rows = ReadCatalog(started->operationHandle, "GetTables", stop, {"TABLE_SCHEM", "TABLE_NAME"});
    running_.End();
    if (!catalog_rows) return std::unexpected(catalog_rows.error());
    std::vector<TableName> out;
    for (const auto& row : catalog_rows->rows) {
        std::string table_schema = catalog_rows->Text(row, "TABLE_SCHEM");
        std::string type = catalog_rows->Text(row, "TABLE_TYPE");
        // Base tables only; Databricks' information_schema is the engine's own.
        if (!type.empty() && type != "TABLE" && type != "MANAGED" && type != "EXTERNAL") continue;
        if (schema.empty() && Lower(table_schema) == "information_schema") continue;
        if (!schema.empty() && Lower(table_schema) != Lower(schema)) continue;
        out.push_back(TableName{"", table_schema, catalog_rows->Text(row, "TABLE_NAME")});
    }
    std::sort(out.begin(), out.end(), [](const TableName& a, const TableName& b) {
        return std::tie(a.schema, a.table) < std::tie(b.schema, b.table);
    });
    return out;
}

// ---- kith copy ----

Status HiveWarehouse::CreateTable(const TableName& name, std::span<const ColumnDef> columns) {
    sql::CreateTable create{name, std::vector<ColumnDef>(columns.begin(), columns.end())};
    if (auto ok = Execute(sql::Print(sql::Statement{create}, sql::Dialect::Spark())); !ok) return ok;
    // A bulk load that follows knows the columns without asking GetColumns (which fails on TIME columns).
    created_[name.ToString()] = create.columns;
    return {};
}

Result<std::unique_ptr<TableWriter>> HiveWarehouse::BulkWriter(const TableName& name,
                                                               std::span<const std::string> columns) {
    // The columns' types: as this connection created the table, else as GetColumns reports them.
    std::vector<ColumnDef> known;
    if (auto it = created_.find(name.ToString()); it != created_.end()) {
        known = it->second;
    } else {
        auto described = DescribeTable(name);
        if (!described) return std::unexpected(described.error());
        if (!*described) return Fail(ErrorCode::NOT_FOUND, "no such table", name.ToString());
        for (const auto& c : **described) known.push_back(hive::StorageOf(c.name, c.engine_type));
    }
    std::vector<ColumnDef> defs;
    for (const auto& wanted : columns) {
        auto it = std::find_if(known.begin(), known.end(),
                               [&](const ColumnDef& c) { return Lower(c.name) == Lower(wanted); });
        if (it == known.end()) {
            return Fail(ErrorCode::NOT_FOUND, "no column " + wanted + " in the table", name.ToString());
        }
        defs.push_back(*it);
        defs.back().name = wanted;
    }
    TableName target = name;
    if (target.schema.empty()) target.schema = options_.schema;
    return StagedTableWriter::Start(*this, sql::Dialect::Spark(), options_.engine, target, std::move(defs));
}

} // namespace kith::warehouse
