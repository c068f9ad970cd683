// The API's routes as one table: method, path template (OpenAPI style, "/api/v1/audiences/{key}"), the permission
// it requires, and its handler. The server (server.hpp) matches requests against it, authenticates, checks the
// permission, parses the JSON body, and turns a handler's ApiError into the one error shape:
//   {"code": "invalid", "message": "...", "pointer": "/definition/groups/0", "errors": [...]}
// The OpenAPI document (openapi.hpp) lists the same routes; a test keeps the two equal.
//
//   routes.Add("GET", "/api/v1/audiences/{key}", Permission::VIEW, [](Context& c) -> Reply { ... });
#pragma once

#include "api/app.hpp"
#include "api/roles.hpp"
#include "store/records.hpp"

#include <expected>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace kith::api {

//! An error answer. status: 400 malformed, 401 not signed in, 403 not allowed, 404, 409 conflict, 412 precondition
//! failed (ETag), 413, 422 invalid content, 429 slow down, 500, 502 warehouse.
struct ApiError {
    int status = 500;
    std::string code; //!< "malformed", "unauthenticated", "forbidden", "not_found", "conflict", "invalid", ...
    std::string message;
    std::string pointer;                                     //!< JSON pointer into the request body, when it applies
    nlohmann::json errors = nlohmann::json::array();         //!< every problem: {"pointer", "message"}
    std::vector<std::pair<std::string, std::string>> headers; //!< e.g. Retry-After

    ApiError() = default;
    ApiError(int s, std::string c, std::string m, std::string p = "")
        : status(s), code(std::move(c)), message(std::move(m)), pointer(std::move(p)) {}
    nlohmann::json ToJson() const;
};

ApiError Malformed(std::string message, std::string pointer = "");
ApiError NotFound(std::string message);
ApiError Forbidden(std::string message);
ApiError Conflict(std::string message);
ApiError Invalid(std::string message, std::string pointer = "");
//! A kith Error as an answer: INVALID 422, USAGE 400, NOT_FOUND 404, CONFLICT 409, WAREHOUSE 502, others 500.
ApiError FromError(const Error& error);

//! A successful answer: JSON (or `text` with its content type), a status, headers.
struct Reply {
    int status = 200;
    nlohmann::json body = nlohmann::json::object();
    std::string text;         //!< when set, sent instead of body, with content_type
    std::string content_type; //!< of text
    std::vector<std::pair<std::string, std::string>> headers;
    std::string etag; //!< strong ETag (quoted by the server); GET answers 304 when If-None-Match has it

    Reply() = default;
    Reply(nlohmann::json b, int s = 200) : status(s), body(std::move(b)) {}
};

using Answer = std::expected<Reply, ApiError>;

//! The signed-in user of a request.
struct Principal {
    store::User user;
    std::vector<Role> roles;
    std::optional<int64_t> token_id; //!< signed in with an API token
    std::string session_hash;        //!< signed in with a session cookie (its SHA-256)
    std::string csrf;                //!< the session's CSRF token
    bool Allows(Permission p) const { return api::Allows(roles, p); }
};

class Context {
public:
    Context(App& app, const httplib::Request& request, httplib::Response& response)
        : app_(app), request_(request), response_(response) {}

    App& app() { return app_; }
    const httplib::Request& request() const { return request_; }
    httplib::Response& response() { return response_; }
    //! The signed-in user; empty on public routes.
    const std::optional<Principal>& principal() const { return principal_; }
    const Principal& user() const { return *principal_; }
    //! A path parameter by its template name.
    const std::string& Param(const std::string& name) const;
    //! A query parameter; nullopt when absent.
    std::optional<std::string> Query(const std::string& name) const;
    //! A header's value; empty when absent.
    std::string Header(const std::string& name) const;
    //! The parsed JSON body (null when the request has none).
    const nlohmann::json& body() const { return body_; }
    //! The client's address, for logs and login throttling.
    std::string RemoteAddress() const;

    //! A pooled state store connection for this request.
    Result<store::Store*> Store();
    //! Gives the request's store connection back to the pool before a long wait (a later Store() leases one again;
    //! pointers Store() returned before are invalid).
    void ReleaseStore() { store_.reset(); }
    int64_t workspace() const { return app_.workspace(); }
    //! A problem the request got past (it still succeeds): the request's log line carries it as "warning".
    void Warn(std::string message) { warnings_.push_back(std::move(message)); }

private:
    friend class Server;
    App& app_;
    const httplib::Request& request_;
    httplib::Response& response_;
    std::optional<Principal> principal_;
    std::map<std::string, std::string> params_;
    nlohmann::json body_;
    std::optional<Pool<store::Store>::Lease> store_;
    std::vector<std::string> warnings_;
};

using Handler = std::function<Answer(Context&)>;

struct Route {
    std::string method; //!< GET, POST, PUT, PATCH, DELETE
    std::string path;   //!< "/api/v1/audiences/{key}"
    //! Required permissions (all of them); empty: a public route (no sign-in).
    std::vector<Permission> permissions;
    Handler handler;
    std::vector<std::string> param_names; //!< from the template, in order
};

class Routes {
public:
    //! Adds a route; permissions empty for a public one.
    void Add(std::string method, std::string path, std::vector<Permission> permissions, Handler handler);
    const std::vector<Route>& all() const { return routes_; }

private:
    std::vector<Route> routes_;
};

//! Registers every API route (each routes_*.cpp adds its group).
void AddAllRoutes(Routes& routes);
void AddAuthRoutes(Routes& routes);
void AddGraphRoutes(Routes& routes);
void AddAudienceRoutes(Routes& routes);
void AddActivationRoutes(Routes& routes);
void AddRunRoutes(Routes& routes);
void AddAdminRoutes(Routes& routes);
void AddDemoRoutes(Routes& routes);
void AddAlertRoutes(Routes& routes);

// Helpers for handlers.

//! The JSON body, or 400 when there is none or it is not an object.
std::expected<const nlohmann::json*, ApiError> ObjectBody(Context& c);
//! A paging "limit" query parameter: default when absent, 400 unless in [1, max].
std::expected<int, ApiError> Limit(Context& c, int fallback, int max);
//! The "after" query parameter of a page (the previous page's next_after) as an integer; nullopt when absent, 400 when
//! it is not an integer >= 0.
std::expected<std::optional<int64_t>, ApiError> After(Context& c);
//! The path parameter "id" as a positive integer; 404 "no <what> <value>" otherwise.
std::expected<int64_t, ApiError> IdParam(Context& c, const std::string& what);
//! Milliseconds as ISO 8601 UTC text, or null.
nlohmann::json IsoOrNull(std::optional<int64_t> millis);

} // namespace kith::api
