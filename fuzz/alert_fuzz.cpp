// The parsers of the service's request bodies that are kith's own: alerts (with channel lists and URLs), role lists
// and durations. Any input yields a value or errors with JSON pointers; nothing crashes.
#include "alert/alert.hpp"
#include "api/roles.hpp"
#include "common/text.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    (void)kith::text::ParseDurationMs(text);
    auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) return 0;
    auto alert = kith::alert::ParseAlert(body);
    if (!alert) {
        for (const auto& e : alert.error()) {
            if (!e.location.empty() && e.location[0] != '/') __builtin_trap(); // every problem has its pointer
        }
    }
    if (body.is_object() && body.contains("channels") && body["channels"].is_array()) {
        for (const auto& c : body["channels"]) {
            if (c.is_object() && c.contains("url") && c["url"].is_string()) {
                (void)kith::alert::RedactUrl(c["url"].get<std::string>());
            }
        }
    }
    if (body.is_array()) {
        std::vector<std::string> names;
        for (const auto& r : body) {
            if (r.is_string()) names.push_back(r.get<std::string>());
        }
        (void)kith::api::ParseRoles(names);
    }
    return 0;
}
