// The HTTP server of the API (cpp-httplib): every route of the table (router.hpp) behind authentication (session
// cookie with CSRF token, or an API token as a Bearer header), permission checks, a body size limit (413), JSON
// parsing (400 with the place of a syntax error), one error shape, ETags, request metrics and one structured log line
// per request; the built web app's files are served at / (paths outside its folder are refused).
//
//   api::Server server(*app, {.host = "127.0.0.1", .port = 8080});
//   if (auto ok = server.Start(); !ok) ...;   // serves in the background
//   ... server.port() ...
//   server.Stop();
#pragma once

#include "api/app.hpp"
#include "api/router.hpp"

#include <functional>
#include <regex>
#include <utility>
#include <vector>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace kith::api {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;   //!< 0: any free port (see Server::port)
    //! Connections served at once: cpp-httplib keeps a worker thread for each kept-alive connection until it closes
    //! (1000 requests, or 5 s idle), so a connection beyond this many waits for one to close.
    int threads = 256;
    //! One JSON line per request and per notable event; default: stderr.
    std::function<void(std::string_view)> log;
};

class Server {
public:
    Server(App& app, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    //! Binds and starts serving in the background; an error when the address cannot be bound.
    Status Start();
    //! Stops accepting, finishes the requests in progress, and returns when the server thread has ended.
    void Stop();
    int port() const { return port_; }
    const Routes& routes() const { return routes_; }

private:
    void AddApiRoutes();
    void AddWebApp();
    //! True when the request was refused (and answered) before routing.
    bool Screen(const httplib::Request& req, httplib::Response& res);
    bool HasRoute(const std::string& method, const std::string& path) const;
    //! Answers with the error; when the body is (partly) unread, closes the connection without reading on.
    void Refuse(const httplib::Request& req, httplib::Response& res, const ApiError& e, bool unread_body);
    ApiError LibraryError(const httplib::Request& req, int status) const;
    //! The 500 a client sees: no detail, the request id under which the log has it.
    static ApiError InternalError(const httplib::Response& res);
    void LogUnrouted(const httplib::Request& req, const httplib::Response& res, const std::string& detail);
    void Serve(const Route& route, const httplib::Request& req, httplib::Response& res, std::string_view body);
    Answer Handle(const Route& route, Context& c, std::string_view body);
    static void Write(Answer& answer, const httplib::Request& req, httplib::Response& res);
    std::expected<void, ApiError> Authenticate(Context& c, const Route& route);
    void Log(std::string_view line);

    App& app_;
    ServerOptions options_;
    Routes routes_;
    std::unique_ptr<httplib::Server> http_;
    std::thread thread_;
    int port_ = 0;
    int listen_fd_ = -1; //!< the listening socket, once cpp-httplib made it
    //! Each route's method and path pattern, to refuse a body sent where no route takes one before reading it.
    std::vector<std::pair<std::string, std::regex>> body_routes_;
};

} // namespace kith::api
