#include "api/server.hpp"

#include "common/text.hpp"
#include "deliver/http.hpp"

#include <httplib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <regex>
#include <sys/socket.h>

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

std::pair<size_t, size_t> LineColumn(std::string_view text, size_t byte) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

bool Mutating(const std::string& method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

void WriteError(httplib::Response& res, const ApiError& e) {
    res.status = e.status;
    for (const auto& [k, v] : e.headers) res.set_header(k, v);
    res.set_content(e.ToJson().dump(), "application/json");
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
    for (const auto& route : routes_.all()) {
        std::string pattern = PathPattern(route.path);
        auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) { Serve(route, req, res); };
        if (route.method == "GET") {
            http_->Get(pattern, handler);
        } else if (route.method == "POST") {
            http_->Post(pattern, handler);
        } else if (route.method == "PUT") {
            http_->Put(pattern, handler);
        } else if (route.method == "PATCH") {
            http_->Patch(pattern, handler);
        } else if (route.method == "DELETE") {
            http_->Delete(pattern, handler);
        }
    }
    if (!app_.options().web_dir.empty()) {
        // cpp-httplib refuses paths that climb out of the folder ("..", encoded or not) before reading a file.
        http_->set_mount_point("/", app_.options().web_dir);
        http_->set_file_request_handler([](const httplib::Request& req, httplib::Response& res) {
            res.set_header("X-Content-Type-Options", "nosniff");
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
            res.set_header("X-Content-Type-Options", "nosniff");
            res.set_header("Cache-Control", "no-cache");
            res.set_content(std::move(html), "text/html; charset=utf-8");
        });
    }
    // Answers cpp-httplib makes itself (no route: 404, body too large: 413, bad request: 400) get the error shape;
    // a handler's own error body is kept.
    http_->set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                          httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ApiError e;
        e.status = res.status;
        switch (res.status) {
        case 404:
            e.code = "not_found";
            e.message = "no route " + req.method + " " + req.path;
            break;
        case 413:
            e.code = "too_large";
            e.message = fmt::format("the request body is larger than {} bytes", app_.options().max_body_bytes);
            break;
        case 405:
            e.code = "method_not_allowed";
            e.message = req.method + " is not allowed on " + req.path;
            break;
        default:
            e.code = res.status >= 500 ? "internal" : "malformed";
            e.message = fmt::format("the request could not be served (HTTP {})", res.status);
        }
        WriteError(res, e);
        Log(json{{"ts", text::IsoMillis(deliver::WallClockMs())}, {"level", "info"}, {"msg", "request"}, {"method", req.method},
                 {"path", req.path}, {"status", res.status}}
                .dump());
        app_.metrics().ObserveRequest(req.method, "(unrouted)", res.status, 0);
        return httplib::Server::HandlerResponse::Handled;
    }));
    http_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        ApiError e{500, "internal", "internal error"};
        WriteError(res, e);
    });
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

void Server::Serve(const Route& route, const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    Context c(app_, req, res);
    for (size_t i = 0; i < route.param_names.size() && i + 1 < req.matches.size(); ++i) {
        c.params_[route.param_names[i]] = req.matches[i + 1].str();
    }
    Answer answer = [&]() -> Answer {
        if (!route.permissions.empty()) {
            if (auto ok = Authenticate(c, route); !ok) return std::unexpected(ok.error());
        }
        if (!req.body.empty()) {
            try {
                c.body_ = json::parse(req.body);
            } catch (const json::parse_error& e) {
                auto [line, col] = LineColumn(req.body, e.byte > 0 ? e.byte - 1 : 0);
                ApiError err = Malformed(fmt::format("the body is not valid JSON (line {}, column {}): {}", line, col,
                                                     e.what()),
                                         "");
                err.errors = json::array({{{"pointer", ""}, {"line", line}, {"column", col}, {"message", e.what()}}});
                return std::unexpected(err);
            }
        }
        try {
            return route.handler(c);
        } catch (const std::exception& e) {
            return std::unexpected(ApiError{500, "internal", std::string("internal error: ") + e.what()});
        }
    }();
    if (answer) {
        Reply& r = *answer;
        for (const auto& [k, v] : r.headers) res.set_header(k, v);
        if (!r.etag.empty()) {
            std::string quoted = "\"" + r.etag + "\"";
            res.set_header("ETag", quoted);
            if (req.method == "GET" && req.get_header_value("If-None-Match") == quoted) {
                res.status = 304;
                r.status = 304;
            }
        }
        if (r.status != 304) {
            res.status = r.status;
            if (!r.text.empty() || !r.content_type.empty()) {
                res.set_content(r.text, r.content_type);
            } else if (r.status != 204) {
                res.set_content(r.body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
            }
        }
    } else {
        WriteError(res, answer.error());
    }
    res.set_header("Cache-Control", "no-store");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    app_.metrics().ObserveRequest(req.method, route.path, res.status, seconds);
    json line = {{"ts", text::IsoMillis(deliver::WallClockMs())},
                 {"level", res.status >= 500 ? "error" : "info"},
                 {"msg", "request"},
                 {"method", req.method},
                 {"route", route.path},
                 {"path", req.path},
                 {"status", res.status},
                 {"ms", std::round(seconds * 100000) / 100}};
    if (c.principal_) line["user"] = c.principal_->user.email;
    if (!answer) line["error"] = answer.error().message;
    if (!c.warnings_.empty()) {
        line["level"] = "warn";
        line["warning"] = c.warnings_;
    }
    Log(line.dump(-1, ' ', false, json::error_handler_t::replace));
}

} // namespace kith::api
