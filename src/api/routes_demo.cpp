// `kith demo`'s webhook sink: the sample activation sends its events to the demo server itself, so a newcomer sees
// them arrive without any other service. Answers 404 unless the server runs as `kith demo`.
#include "api/router.hpp"

namespace kith::api {

namespace {

using nlohmann::json;

constexpr size_t kRecent = 200;

Answer Receive(Context& c) {
    if (!c.app().options().demo_sink) return std::unexpected(NotFound("no route POST /demo/sink (only in kith demo)"));
    const json& b = c.body();
    if (!b.is_object() && !b.is_array()) return std::unexpected(Malformed("the body must be an event or an array of events"));
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
    routes.Add("GET", "/api/v1/demo/sink", {Permission::VIEW}, Show);
}

} // namespace kith::api
