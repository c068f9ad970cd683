#include "api/server.hpp"

#include "api/request_guard.hpp"
#include "common/text.hpp"
#include "deliver/http.hpp"

#include <httplib.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <fmt/format.h>
#include <regex>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kith::api {

namespace {

using nlohmann::json;

//! "/api/v1/audiences/{key}" as a regular expression with one group per parameter.
std::string PathPattern(const std::string& path) {
    static const std::regex param(R"(\{[a-z_]+\})");
    std::string escaped;
    for (char c : path) {
        if (std::string_view(".+*?^$()[]|\\").find(c) != std::string_view::npos) escaped += '\\';
        escaped += c;
    }
    return std::regex_replace(escaped, std::regex(R"(\\?\{[a-z_]+\\?\})"), "([^/]+)");
}

std::string CookieValue(const std::string& header, std::string_view name) {
    size_t pos = 0;
    while (pos < header.size()) {
        size_t end = header.find(';', pos);
        if (end == std::string::npos) end = header.size();
        std::string_view part(header.data() + pos, end - pos);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
            return std::string(part.substr(name.size() + 1));
        }
        pos = end + 1;
    }
    return "";
}

bool Mutating(const std::string& method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

bool TakesBody(const std::string& method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::string RequestId(const httplib::Response& res) { return res.get_header_value("X-Request-Id"); }

//! The error shape, with the request's id. Text from the request (a parameter in a message) may hold any byte: the
//! JSON replaces what is not UTF-8 instead of failing.
void WriteError(httplib::Response& res, const ApiError& e) {
    res.status = e.status;
    for (const auto& [k, v] : e.headers) res.set_header(k, v);
    json j = e.ToJson();
    j["request_id"] = RequestId(res);
    res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

BodyFraming FramingOf(const httplib::Request& req) {
    BodyFraming f;
    f.method = req.method;
    if (req.has_header("Content-Length")) {
        std::string v = req.get_header_value("Content-Length");
        uint64_t n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec == std::errc() && end == v.data() + v.size() && !v.empty()) {
            f.content_length = n;
        } else {
            f.bad_content_length = true;
        }
    }
    f.transfer_encoding = text::Lower(req.get_header_value("Transfer-Encoding"));
    f.content_encoding = text::Lower(req.get_header_value("Content-Encoding"));
    f.content_type = req.get_header_value("Content-Type");
    return f;
}

//! The socket of this request's connection, found among the process's descriptors by its two ends (unique for a TCP
//! connection), or -1. cpp-httplib 0.11 gives a handler no handle on its connection.
int ConnectionOf(const httplib::Request& req) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        int fd = -1;
        const std::string name = entry.path().filename().string();
        if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        sockaddr_storage local{}, peer{};
        socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
            ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
            continue;
        }
        auto port_of = [](const sockaddr_storage& a) {
            return ntohs(a.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(a).sin6_port
                                                 : reinterpret_cast<const sockaddr_in&>(a).sin_port);
        };
        char host[INET6_ADDRSTRLEN] = {};
        const void* peer_addr = peer.ss_family == AF_INET6
                                    ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr)
                                    : static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(peer).sin_addr);
        if (port_of(local) == req.local_port && port_of(peer) == req.remote_port &&
            ::inet_ntop(peer.ss_family, peer_addr, host, sizeof(host)) && req.remote_addr == host) {
            return fd;
        }
    }
    return -1;
}

//! The reason phrase of the statuses a refusal has.
const char* ReasonPhrase(int status) {
    switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 501: return "Not Implemented";
    default: return "Refused";
    }
}

//! Sends the answer on the request's connection and ends it; what the client still sends (the rest of a refused
//! body) is neither kept nor parsed as further requests. cpp-httplib's own write of the answer then finds the
//! connection closed and gives up. The answer is small and nothing was written before it, so it fits the socket's
//! send buffer at once. Then a lingering close, as web servers make one: our side of the connection ends (the client
//! reads the answer and its end), and what the client still sends is read and dropped, up to `linger_bytes` and for
//! at most kLingerSeconds (kLingerIdleMs without a byte), until the client closes. A client that writes its whole
//! body before reading the answer (most do) then gets the answer rather than a reset connection.
constexpr int kLingerSeconds = 10;
constexpr int kLingerIdleMs = 2000;
void AnswerAndClose(const httplib::Request& req, const httplib::Response& res, size_t linger_bytes) {
    int fd = ConnectionOf(req);
    if (fd < 0) return;
    std::string wire = fmt::format("HTTP/1.1 {} {}\r\n", res.status, ReasonPhrase(res.status));
    for (const auto& [name, value] : res.headers) wire += fmt::format("{}: {}\r\n", name, value);
    for (const auto& [name, value] : SecurityHeaders()) wire += fmt::format("{}: {}\r\n", name, value);
    wire += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        res.body.size());
    wire += res.body;
    for (size_t off = 0; off < wire.size();) {
        ssize_t n = ::send(fd, wire.data() + off, wire.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kLingerSeconds);
    char sink[16384];
    for (size_t taken = 0; taken < linger_bytes;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd wait{fd, POLLIN, 0};
        if (::poll(&wait, 1, static_cast<int>(std::min<int64_t>(left.count(), kLingerIdleMs))) <= 0) break;
        ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (n <= 0) break; // the client closed (or reset) its side
        taken += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_RDWR);
}

//! How reading a body ended.
enum class BodyRead { COMPLETE, TOO_LARGE, BROKEN };

//! Reads a body through cpp-httplib's reader, keeping at most max_bytes. Past that, up to another max_bytes are read
//! and dropped (a client that sends a body a little too large then reads its 413 instead of a reset connection);
//! beyond, reading stops. *drained: the whole body was read.
BodyRead ReadBody(const httplib::ContentReader& read, size_t max_bytes, std::string& body, bool* drained) {
    bool over = false;
    size_t dropped = 0;
    bool complete = read([&](const char* data, size_t n) {
        if (!over && body.size() + n <= max_bytes) {
            body.append(data, n);
            return true;
        }
        over = true;
        body.clear();
        dropped += n;
        return dropped <= max_bytes;
    });
    *drained = complete;
    if (over) return BodyRead::TOO_LARGE;
    return complete ? BodyRead::COMPLETE : BodyRead::BROKEN;
}

} // namespace

Server::Server(App& app, ServerOptions options) : app_(app), options_(std::move(options)) {
    AddAllRoutes(routes_);
    http_ = std::make_unique<httplib::Server>();
    int threads = options_.threads < 1 ? 1 : options_.threads;
    http_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
    http_->set_payload_max_length(app_.options().max_body_bytes);
    http_->set_tcp_nodelay(true);
    // cpp-httplib's own options (SO_REUSEADDR), and the listening socket kept to widen its backlog in Start.
    http_->set_socket_options([this](int sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        listen_fd_ = sock;
    });
    // Kept-alive connections serve many requests. An idle one closes after 5 s (cpp-httplib's default), which also
    // bounds how long a stop waits for idle connections. Reading a request and writing an answer may stall longer
    // than cpp-httplib's 5 s on a busy machine (a client thread not scheduled while a large preview is written), so
    // both get 60 s.
    http_->set_keep_alive_max_count(100000);
    http_->set_read_timeout(60, 0);
    http_->set_write_timeout(60, 0);
    AddApiRoutes();
    if (!app_.options().web_dir.empty()) AddWebApp();
    http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        return Screen(req, res) ? httplib::Server::HandlerResponse::Handled
                                : httplib::Server::HandlerResponse::Unhandled;
    });
    http_->set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
        for (const auto& [name, value] : SecurityHeaders()) res.set_header(name, value);
    });
    // Answers cpp-httplib makes itself (no route: 404, body too large: 413, bad request: 400) get the error shape;
    // a handler's own error body is kept.
    http_->set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            WriteError(res, LibraryError(req, res.status));
            LogUnrouted(req, res, "");
            return httplib::Server::HandlerResponse::Handled;
        }));
    // An exception that escaped everything else: still one error shape, one log line with the request id, counted.
    http_->set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "an exception that is not a std::exception";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        WriteError(res, InternalError(res));
        LogUnrouted(req, res, what);
    });
}

// Every route of the table. A route that takes a body (POST, PUT, PATCH, DELETE) reads it through a reader that
// stops at the size limit, whatever the framing: cpp-httplib's own reading caps only a declared Content-Length.
void Server::AddApiRoutes() {
    for (const auto& route : routes_.all()) {
        std::string pattern = PathPattern(route.path);
        body_routes_.emplace_back(route.method, std::regex(pattern));
        if (route.method == "GET") {
            http_->Get(pattern, [this, &route](const httplib::Request& req, httplib::Response& res) {
                Serve(route, req, res, "");
            });
            continue;
        }
        httplib::Server::HandlerWithContentReader with_body =
            [this, &route](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
                std::string body;
                bool drained = false;
                BodyRead outcome = ReadBody(read, app_.options().max_body_bytes, body, &drained);
                if (outcome == BodyRead::TOO_LARGE) return Refuse(req, res, TooLarge(app_.options().max_body_bytes), !drained);
                if (outcome == BodyRead::BROKEN) {
                    return Refuse(req, res, Malformed("the body ended before its declared length, or its chunks are malformed"),
                                  true);
                }
                // Read to its end first, so that the client reads the refusal on a connection still in step.
                if (auto refused = ScreenBodyMedia(FramingOf(req))) return Refuse(req, res, *refused, false);
                Serve(route, req, res, body);
            };
        if (route.method == "POST") {
            http_->Post(pattern, with_body);
        } else if (route.method == "PUT") {
            http_->Put(pattern, with_body);
        } else if (route.method == "PATCH") {
            http_->Patch(pattern, with_body);
        } else if (route.method == "DELETE") {
            http_->Delete(pattern, with_body);
        }
    }
}

// The built web app's files at /, and index.html for the app's own paths.
void Server::AddWebApp() {
    // cpp-httplib refuses paths that climb out of the folder ("..", encoded or not) before reading a file.
    http_->set_mount_point("/", app_.options().web_dir);
    http_->set_file_request_handler([](const httplib::Request& req, httplib::Response& res) {
        // Built assets carry a content hash in their names: cached for good. index.html is asked again.
        res.set_header("Cache-Control",
                       req.path.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    });
    // The app routes in the browser (/audiences/vip, /overview): a GET of a page that is not a file gets
    // index.html. Paths under /api/ and names with an extension (a missing asset) stay 404.
    std::string index = (std::filesystem::path(app_.options().web_dir) / "index.html").string();
    http_->Get(R"(/(?!api/)[^.]*)", [index](const httplib::Request&, httplib::Response& res) {
        std::ifstream in(index, std::ios::binary);
        if (!in) {
            res.status = 404;
            return;
        }
        std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        res.set_header("Cache-Control", "no-cache");
        res.set_content(std::move(html), "text/html; charset=utf-8");
    });
}

// Before routing and before a byte of the body is read: the request's id, then the checks of request_guard.hpp,
// and a route for the method and path when there is a body (otherwise cpp-httplib would read it whole to answer
// 404).
bool Server::Screen(const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Request-Id", NewRequestId());
    BodyFraming framing = FramingOf(req);
    bool body = HasBody(framing);
    std::optional<ApiError> refused = ScreenTarget(req.path, req.params);
    if (!refused && TakesBody(req.method)) {
        refused = ScreenBodyFraming(framing, app_.options().max_body_bytes);
        // A declared length within the limit is read by cpp-httplib before its 404; a chunked one would be read
        // whole.
        if (!refused && !framing.transfer_encoding.empty() && !HasRoute(req.method, req.path)) {
            refused = ApiError{404, "not_found", "no route " + req.method + " " + req.path};
        }
    } else if (!refused && body) {
        refused = Malformed(fmt::format("a {} request has no body", req.method));
    }
    if (!refused) return false;
    Refuse(req, res, *refused, body);
    return true;
}

bool Server::HasRoute(const std::string& method, const std::string& path) const {
    for (const auto& [m, pattern] : body_routes_) {
        if (m == method && std::regex_match(path, pattern)) return true;
    }
    return false;
}

void Server::Refuse(const httplib::Request& req, httplib::Response& res, const ApiError& e, bool unread_body) {
    WriteError(res, e);
    LogUnrouted(req, res, e.message); // before the answer leaves: whoever reads the answer finds the line
    // A refused body is drained up to twice the limit: one a little too large gets its answer read.
    if (unread_body) AnswerAndClose(req, res, 2 * app_.options().max_body_bytes + 65536);
}

ApiError Server::LibraryError(const httplib::Request& req, int status) const {
    switch (status) {
    case 404: return ApiError{404, "not_found", "no route " + req.method + " " + req.path};
    case 413: return TooLarge(app_.options().max_body_bytes);
    case 405: return ApiError{405, "method_not_allowed", req.method + " is not allowed on " + req.path};
    default:
        if (status >= 500) return ApiError{status, "internal", "internal error; the service's log has its details"};
        return ApiError{status, "malformed", fmt::format("the request could not be served (HTTP {})", status)};
    }
}

ApiError Server::InternalError(const httplib::Response& res) {
    return ApiError{500, "internal",
                    fmt::format("internal error; the service's log has its details under request id {}", RequestId(res))};
}

// One log line and one count for an answer that no route's handler gave (refused, unrouted, or an exception).
void Server::LogUnrouted(const httplib::Request& req, const httplib::Response& res, const std::string& detail) {
    json line = {{"ts", text::IsoMillis(deliver::WallClockMs())},
                 {"level", res.status >= 500 ? "error" : "info"},
                 {"msg", "request"},
                 {"request_id", RequestId(res)},
                 {"method", req.method},
                 {"path", req.path},
                 {"status", res.status}};
    if (!detail.empty()) line["error"] = detail;
    Log(line.dump(-1, ' ', false, json::error_handler_t::replace));
    app_.metrics().ObserveRequest(req.method, "(unrouted)", res.status, 0);
}

Server::~Server() { Stop(); }

Status Server::Start() {
    if (options_.port == 0) {
        port_ = http_->bind_to_any_port(options_.host);
        if (port_ < 0) return Fail(ErrorCode::IO, "cannot listen", options_.host);
    } else {
        if (!http_->bind_to_port(options_.host, options_.port)) {
            return Fail(ErrorCode::IO, "cannot listen (is the port in use?)",
                        fmt::format("{}:{}", options_.host, options_.port));
        }
        port_ = options_.port;
    }
    // Debian's cpp-httplib is a shared library built with a listen backlog of 5: when many clients connect at once
    // the kernel drops their SYNs and they wait a second or more to connect. listen() again on the bound socket sets
    // the backlog the kernel allows (somaxconn).
    if (listen_fd_ >= 0 && ::listen(listen_fd_, SOMAXCONN) != 0) {
        return Fail(ErrorCode::IO, fmt::format("cannot set the listen backlog: {}", std::strerror(errno)),
                    fmt::format("{}:{}", options_.host, port_));
    }
    thread_ = std::thread([this] { http_->listen_after_bind(); });
    while (!http_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
}

void Server::Stop() {
    if (!thread_.joinable()) return;
    http_->stop();
    thread_.join();
}

void Server::Log(std::string_view line) {
    if (options_.log) {
        options_.log(line);
    } else {
        fmt::print(stderr, "{}\n", line);
    }
}

std::expected<void, ApiError> Server::Authenticate(Context& c, const Route& route) {
    ApiError unauthenticated{401, "unauthenticated", "sign in first: a session cookie or an API token (Authorization: "
                                                     "Bearer ...) is needed"};
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    std::string auth = c.Header("Authorization");
    int64_t now = deliver::WallClockMs();
    Principal p;
    if (auth.starts_with("Bearer ")) {
        std::string token = auth.substr(7);
        bool touch = false;
        auto found = (*store)->Read([&](store::Tx& tx) -> Result<std::optional<store::User>> {
            auto t = tx.FindApiToken(Sha256Hex(token));
            if (!t) return std::unexpected(t.error());
            if (!*t) return std::nullopt;
            p.token_id = (*t)->id;
            // Touched at most once a minute: a busy script does not write on every request.
            touch = !(*t)->last_used_at || *(*t)->last_used_at + 60000 < now;
            return tx.GetUser((*t)->user_id);
        });
        if (!found) return std::unexpected(FromError(found.error()));
        if (touch) {
            auto ok = (*store)->Transaction([&](store::Tx& tx) { return tx.TouchApiToken(*p.token_id, now); });
            if (!ok) return std::unexpected(FromError(ok.error()));
        }
        if (!*found) {
            unauthenticated.message = "unknown or revoked API token";
            return std::unexpected(unauthenticated);
        }
        p.user = **found;
    } else {
        std::string cookie = CookieValue(c.Header("Cookie"), "kith_session");
        if (cookie.empty()) return std::unexpected(unauthenticated);
        p.session_hash = Sha256Hex(cookie);
        auto found = (*store)->Read([&](store::Tx& tx) -> Result<std::optional<store::User>> {
            auto s = tx.GetSession(p.session_hash, now);
            if (!s) return std::unexpected(s.error());
            if (!*s) return std::nullopt;
            p.csrf = (*s)->csrf;
            return tx.GetUser((*s)->user_id);
        });
        if (!found) return std::unexpected(FromError(found.error()));
        if (!*found) {
            unauthenticated.message = "the session has expired or was signed out; sign in again";
            return std::unexpected(unauthenticated);
        }
        p.user = **found;
        // A change made with a cookie must carry the session's CSRF token: another site can make the browser send
        // the cookie, but cannot read the token.
        if (Mutating(route.method) && !ConstantTimeEquals(c.Header("X-CSRF-Token"), p.csrf)) {
            return std::unexpected(ApiError{403, "csrf", "missing or wrong X-CSRF-Token header (it is returned by "
                                                         "POST /api/v1/auth/login and GET /api/v1/me)"});
        }
    }
    if (p.user.disabled) {
        unauthenticated.message = "this user is disabled";
        return std::unexpected(unauthenticated);
    }
    auto roles = ParseRoles(p.user.roles);
    p.roles = roles ? *roles : std::vector<Role>{};
    for (Permission need : route.permissions) {
        if (!p.Allows(need)) {
            std::string have;
            for (Role r : p.roles) have += (have.empty() ? "" : ", ") + std::string(RoleTitle(r));
            return std::unexpected(Forbidden(fmt::format("{} {} needs the \"{}\" permission, which the roles of {} "
                                                         "({}) do not grant",
                                                         route.method, route.path, PermissionName(need), p.user.email,
                                                         have.empty() ? "none" : have)));
        }
    }
    c.principal_ = std::move(p);
    return {};
}

// A routed request: its handler's answer written, then one log line and the request metrics. Nothing a handler
// or a hostile request does escapes as an unlogged 500: an exception becomes the error shape, logged and counted.
void Server::Serve(const Route& route, const httplib::Request& req, httplib::Response& res, std::string_view body) {
    auto start = std::chrono::steady_clock::now();
    Context c(app_, req, res);
    std::string detail; // what only the log shows (the cause of a 500)
    std::optional<Answer> answer;
    try {
        answer = Handle(route, c, body);
        if (!*answer && answer->error().status == 500) {
            detail = answer->error().message;
            answer = std::unexpected(InternalError(res));
        }
        Write(*answer, req, res);
    } catch (const std::exception& e) {
        detail = e.what();
        answer = std::unexpected(InternalError(res));
        WriteError(res, answer->error());
    }
    res.set_header("Cache-Control", "no-store");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    app_.metrics().ObserveRequest(req.method, route.path, res.status, seconds);
    json line = {{"ts", text::IsoMillis(deliver::WallClockMs())},
                 {"level", res.status >= 500 ? "error" : "info"},
                 {"msg", "request"},
                 {"request_id", RequestId(res)},
                 {"method", req.method},
                 {"route", route.path},
                 {"path", req.path},
                 {"status", res.status},
                 {"ms", std::round(seconds * 100000) / 100}};
    if (c.principal_) line["user"] = c.principal_->user.email;
    if (!detail.empty()) {
        line["error"] = detail;
    } else if (!*answer) {
        line["error"] = (*answer).error().message;
    }
    if (!c.warnings_.empty()) {
        line["level"] = "warn";
        line["warning"] = c.warnings_;
    }
    Log(line.dump(-1, ' ', false, json::error_handler_t::replace));
}

// Authentication and permissions, the JSON body, then the route's handler.
Answer Server::Handle(const Route& route, Context& c, std::string_view body) {
    const httplib::Request& req = c.request();
    for (size_t i = 0; i < route.param_names.size() && i + 1 < req.matches.size(); ++i) {
        c.params_[route.param_names[i]] = req.matches[i + 1].str();
    }
    if (!route.permissions.empty()) {
        if (auto ok = Authenticate(c, route); !ok) return std::unexpected(ok.error());
    }
    if (!body.empty()) {
        auto parsed = ParseJsonBody(body);
        if (!parsed) return std::unexpected(parsed.error());
        c.body_ = std::move(*parsed);
    }
    return route.handler(c);
}

// A handler's answer on the wire: its headers and ETag (304 for a matching If-None-Match), its JSON or text.
void Server::Write(Answer& answer, const httplib::Request& req, httplib::Response& res) {
    if (!answer) return WriteError(res, answer.error());
    Reply& r = *answer;
    for (const auto& [k, v] : r.headers) res.set_header(k, v);
    if (!r.etag.empty()) {
        std::string quoted = "\"" + r.etag + "\"";
        res.set_header("ETag", quoted);
        if (req.method == "GET" && req.get_header_value("If-None-Match") == quoted) {
            res.status = 304;
            r.status = 304;
            return;
        }
    }
    res.status = r.status;
    if (!r.text.empty() || !r.content_type.empty()) {
        res.set_content(r.text, r.content_type);
    } else if (r.status != 204) {
        res.set_content(r.body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
    }
}

} // namespace kith::api
