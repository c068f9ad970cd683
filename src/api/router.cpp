#include "api/router.hpp"

#include "common/json.hpp"
#include "common/text.hpp"

#include <httplib.h>

#include <charconv>
#include <fmt/format.h>
#include <regex>

namespace kith::api {

using nlohmann::json;

json ApiError::ToJson() const {
    json j = {{"code", code}, {"message", message}};
    if (!pointer.empty() || code == "malformed" || code == "invalid") j["pointer"] = pointer;
    if (!errors.empty()) j["errors"] = errors;
    return j;
}

ApiError Malformed(std::string message, std::string pointer) {
    return ApiError{400, "malformed", std::move(message), std::move(pointer)};
}
ApiError NotFound(std::string message) { return ApiError{404, "not_found", std::move(message)}; }
ApiError Forbidden(std::string message) { return ApiError{403, "forbidden", std::move(message)}; }
ApiError Conflict(std::string message) { return ApiError{409, "conflict", std::move(message)}; }
ApiError Invalid(std::string message, std::string pointer) {
    ApiError e{422, "invalid", std::move(message), std::move(pointer)};
    e.errors = json::array({{{"pointer", e.pointer}, {"message", e.message}}});
    return e;
}

ApiError FromError(const Error& error) {
    switch (error.code) {
    case ErrorCode::INVALID: {
        bool pointer = error.location.empty() || error.location[0] == '/';
        ApiError e = Invalid(pointer ? error.message : error.ToString(), pointer ? error.location : "");
        return e;
    }
    case ErrorCode::USAGE: return Malformed(error.message, error.location.starts_with("/") ? error.location : "");
    case ErrorCode::NOT_FOUND: return NotFound(error.message);
    case ErrorCode::CONFLICT: return Conflict(error.message);
    case ErrorCode::WAREHOUSE: return ApiError{502, "warehouse", error.ToString()};
    case ErrorCode::IO:
    case ErrorCode::INTERNAL: break;
    }
    return ApiError{500, "internal", error.ToString()};
}

const std::string& Context::Param(const std::string& name) const {
    static const std::string empty;
    auto it = params_.find(name);
    return it == params_.end() ? empty : it->second;
}

std::optional<std::string> Context::Query(const std::string& name) const {
    if (!request_.has_param(name.c_str())) return std::nullopt;
    return request_.get_param_value(name.c_str());
}

std::string Context::Header(const std::string& name) const { return request_.get_header_value(name.c_str()); }

std::string Context::RemoteAddress() const { return request_.remote_addr; }

Result<store::Store*> Context::Store() {
    if (!store_) {
        auto lease = app_.stores().Acquire();
        if (!lease) return std::unexpected(lease.error());
        store_.emplace(std::move(*lease));
    }
    return store_->get();
}

void Routes::Add(std::string method, std::string path, std::vector<Permission> permissions, Handler handler) {
    Route r{std::move(method), std::move(path), std::move(permissions), std::move(handler), {}};
    static const std::regex param(R"(\{([a-z_]+)\})");
    for (std::sregex_iterator it(r.path.begin(), r.path.end(), param), end; it != end; ++it) {
        r.param_names.push_back((*it)[1].str());
    }
    routes_.push_back(std::move(r));
}

void AddAllRoutes(Routes& routes) {
    AddAuthRoutes(routes);
    AddGraphRoutes(routes);
    AddAudienceRoutes(routes);
    AddActivationRoutes(routes);
    AddRunRoutes(routes);
    AddAdminRoutes(routes);
    AddAlertRoutes(routes);
    AddDemoRoutes(routes);
}

std::expected<const json*, ApiError> ObjectBody(Context& c) {
    if (c.body().is_null()) return std::unexpected(Malformed("a JSON object body is needed", ""));
    if (!c.body().is_object()) {
        return std::unexpected(Malformed("the body must be a JSON object, found " + JsonTypeName(c.body()), ""));
    }
    return &c.body();
}

std::expected<int, ApiError> Limit(Context& c, int fallback, int max) {
    auto v = c.Query("limit");
    if (!v) return fallback;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > max) {
        return std::unexpected(Malformed(fmt::format("limit must be an integer from 1 to {}, found {:?}", max, *v)));
    }
    return static_cast<int>(n);
}

namespace {

std::optional<int64_t> WholeNumber(const std::string& text, int64_t min) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < min) return std::nullopt;
    return v;
}

} // namespace

std::expected<std::optional<int64_t>, ApiError> After(Context& c) {
    auto a = c.Query("after");
    if (!a) return std::optional<int64_t>();
    auto v = WholeNumber(*a, 0);
    if (!v) return std::unexpected(Malformed(fmt::format("after must be the next_after of the previous page, found {:?}", *a)));
    return v;
}

std::expected<int64_t, ApiError> IdParam(Context& c, const std::string& what) {
    const std::string& v = c.Param("id");
    auto id = WholeNumber(v, 1);
    if (!id) return std::unexpected(NotFound(fmt::format("no {} {:?}", what, v)));
    return *id;
}

json IsoOrNull(std::optional<int64_t> millis) { return millis ? json(text::IsoMillis(*millis)) : json(nullptr); }

} // namespace kith::api
