// `kith demo`'s webhook sink: the sample activation sends its events to the demo server itself, so a newcomer sees
// them arrive without any other service. Answers 404 unless the server runs as `kith demo`. Only the demo's
// activation may post (it sends the token `kith demo` made at its start), each event an object of bounded size; the
// events received are shown to users who may view profiles.
#include "api/auth.hpp"
#include "api/router.hpp"

#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

constexpr size_t kRecent = 200;
constexpr size_t kMaxEventBytes = 64 * 1024;

Answer Receive(Context& c) {
    const AppOptions& o = c.app().options();
    if (!o.demo_sink) return std::unexpected(NotFound("no route POST /demo/sink (only in kith demo)"));
    if (o.demo_sink_token.empty() || !ConstantTimeEquals(c.Header("Authorization"), "Bearer " + o.demo_sink_token)) {
        return std::unexpected(ApiError{401, "unauthenticated", "the demo sink takes events from the demo's own "
                                                                "activation only (its Authorization header)"});
    }
    const json& b = c.body();
    if (!b.is_object() && !b.is_array()) return std::unexpected(Malformed("the body must be an event or an array of events"));
    for (size_t i = 0; b.is_array() && i < b.size(); ++i) {
        if (!b[i].is_object()) return std::unexpected(Invalid("an event must be a JSON object", fmt::format("/{}", i)));
    }
    for (size_t i = 0; i < (b.is_array() ? b.size() : 1); ++i) {
        const json& e = b.is_array() ? b[i] : b;
        if (e.dump(-1, ' ', false, json::error_handler_t::replace).size() > kMaxEventBytes) {
            return std::unexpected(Invalid(fmt::format("an event is larger than {} bytes", kMaxEventBytes),
                                           b.is_array() ? fmt::format("/{}", i) : ""));
        }
    }
    DemoSink& sink = c.app().demo_sink();
    std::lock_guard lock(sink.mutex);
    ++sink.requests;
    auto add = [&](const json& e) {
        ++sink.events;
        sink.recent.push_back(e);
        if (sink.recent.size() > kRecent) sink.recent.pop_front();
    };
    if (b.is_array()) {
        for (const auto& e : b) add(e);
    } else {
        add(b);
    }
    return Reply(json{{"received", b.is_array() ? b.size() : 1}});
}

Answer Show(Context& c) {
    if (!c.app().options().demo_sink) return std::unexpected(NotFound("the demo sink exists only in kith demo"));
    auto limit = Limit(c, 50, static_cast<int>(kRecent));
    if (!limit) return std::unexpected(limit.error());
    DemoSink& sink = c.app().demo_sink();
    std::lock_guard lock(sink.mutex);
    json recent = json::array();
    size_t skip = sink.recent.size() > static_cast<size_t>(*limit) ? sink.recent.size() - *limit : 0;
    for (size_t i = sink.recent.size(); i-- > skip;) recent.push_back(sink.recent[i]);
    return Reply(json{{"requests", sink.requests}, {"events", sink.events}, {"recent", recent}});
}

} // namespace

void AddDemoRoutes(Routes& routes) {
    routes.Add("POST", "/demo/sink", {}, Receive);
    routes.Add("GET", "/api/v1/demo/sink", {Permission::VIEW_PROFILES}, Show);
}

} // namespace kith::api
