#include "alert/alert.hpp"

#include "common/json.hpp"
#include "common/text.hpp"

#include <cmath>
#include <fmt/format.h>
#include <set>

namespace kith::alert {

namespace {

using nlohmann::json;

std::string TypeName(const json& v) { return kith::JsonTypeName(v, JsonWords::ARRAY); }

// Collects every problem of a body, each at its JSON pointer.
class Problems {
public:
    void Add(const std::string& pointer, std::string message) {
        errors.push_back(Error{ErrorCode::INVALID, std::move(message), pointer}); // "" is the whole body
    }
    // Reports keys of obj outside allowed.
    void OnlyKeys(const json& obj, const std::string& ptr, std::initializer_list<std::string_view> allowed,
                  std::string_view what) {
        for (const auto& key : UnknownJsonKeys(obj, allowed)) {
            Add(ptr + JsonPointerToken(key), UnknownKeyMessage(key, what, allowed));
        }
    }
    std::vector<Error> errors;
};

// An address an SMTP envelope and a To header can carry as written: local@domain, no spaces, no control characters
// and none of the characters that would need quoting.
bool PlainAddress(const std::string& s) {
    auto at = s.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == s.size() || s.size() > 254) return false;
    for (unsigned char c : s) {
        if (c <= 0x20 || c == 0x7f || std::string_view("<>()[],;:\\\"").find(static_cast<char>(c)) !=
                                          std::string_view::npos) {
            return false;
        }
    }
    return true;
}

void CheckChannel(const json& ch, const std::string& ptr, Problems& p, std::set<std::string>& seen,
                  std::span<const outbound::AllowRule> allow) {
    if (!ch.is_object()) {
        p.Add(ptr, fmt::format("a channel must be an object, found {}", TypeName(ch)));
        return;
    }
    auto type = ch.find("type");
    if (type == ch.end() || !type->is_string()) {
        p.Add(ptr + "/type", "must be one of \"email\", \"slack\", \"in_app\"");
        return;
    }
    const std::string t = type->get<std::string>();
    if (t == "email") {
        p.OnlyKeys(ch, ptr, {"type", "to"}, "an email channel");
        auto to = ch.find("to");
        if (to == ch.end() || !to->is_array() || to->empty()) {
            p.Add(ptr + "/to", "must be a non-empty array of email addresses");
            return;
        }
        for (size_t i = 0; i < to->size(); ++i) {
            const json& a = (*to)[i];
            if (!a.is_string() || !PlainAddress(a.get<std::string>())) {
                p.Add(fmt::format("{}/to/{}", ptr, i),
                      a.is_string() ? fmt::format("not an email address: {}", a.dump()) : "must be a string");
            }
        }
    } else if (t == "slack") {
        p.OnlyKeys(ch, ptr, {"type", "url"}, "a Slack channel");
        auto url = ch.find("url");
        if (url == ch.end() || !url->is_string()) {
            p.Add(ptr + "/url", "must be the Slack incoming webhook's URL (a string)");
            return;
        }
        const std::string u = url->get<std::string>();
        bool https = u.starts_with("https://") && u.size() > 8;
        if (!(https || outbound::AllowsPlainHttp(u, allow)) || u.find_first_of(" \t\r\n") != std::string::npos) {
            p.Add(ptr + "/url",
                  "must be an https:// address (http:// only to an address [delivery] allow_hosts lists)");
        }
    } else if (t == "in_app") {
        p.OnlyKeys(ch, ptr, {"type"}, "an in-app channel");
        if (!seen.insert(t).second) p.Add(ptr, "in_app is listed twice");
    } else {
        p.Add(ptr + "/type", fmt::format("must be one of \"email\", \"slack\", \"in_app\", found {}", type->dump()));
    }
}

} // namespace

std::expected<store::AlertSpec, std::vector<Error>> ParseAlert(const json& body,
                                                              std::span<const outbound::AllowRule> allow_hosts) {
    Problems p;
    if (!body.is_object()) {
        p.Add("", fmt::format("an alert must be an object, found {}", TypeName(body)));
        return std::unexpected(std::move(p.errors));
    }
    p.OnlyKeys(body, "", {"kind", "target", "threshold_pct", "channels", "enabled"}, "an alert");
    store::AlertSpec spec;

    auto kind = body.find("kind");
    if (kind == body.end()) {
        p.Add("/kind", "is required: \"event_health\" or \"audience_size\"");
    } else if (auto k = kind->is_string() ? store::ParseAlertKind(kind->get<std::string>()) : std::nullopt; !k) {
        p.Add("/kind", fmt::format("must be \"event_health\" or \"audience_size\", found {}", kind->dump()));
    } else {
        spec.kind = *k;
    }

    auto target = body.find("target");
    if (target == body.end()) {
        p.Add("/target", "is required: the activation's key (event_health) or the audience's key (audience_size)");
    } else if (!target->is_string() || target->get<std::string>().empty()) {
        p.Add("/target", fmt::format("must be a non-empty string, found {}", target->dump()));
    } else {
        spec.target = target->get<std::string>();
    }

    auto threshold = body.find("threshold_pct");
    if (threshold == body.end()) {
        p.Add("/threshold_pct", "is required: the percentage of change that fires the alert");
    } else if (!threshold->is_number()) {
        p.Add("/threshold_pct", fmt::format("must be a number, found {}", TypeName(*threshold)));
    } else {
        double t = threshold->get<double>();
        if (!std::isfinite(t) || t <= 0 || t > kMaxThresholdPct) {
            p.Add("/threshold_pct", fmt::format("must be above 0 and at most {:g}, found {}", kMaxThresholdPct,
                                                threshold->dump()));
        } else {
            spec.threshold_pct = t;
        }
    }

    auto channels = body.find("channels");
    if (channels == body.end()) {
        p.Add("/channels", "is required: a non-empty array of channels");
    } else if (!channels->is_array() || channels->empty()) {
        p.Add("/channels", fmt::format("must be a non-empty array of channels, found {}", TypeName(*channels)));
    } else {
        std::set<std::string> seen;
        for (size_t i = 0; i < channels->size(); ++i) {
            CheckChannel((*channels)[i], fmt::format("/channels/{}", i), p, seen, allow_hosts);
        }
        spec.channels = *channels;
    }

    if (auto enabled = body.find("enabled"); enabled != body.end()) {
        if (!enabled->is_boolean()) {
            p.Add("/enabled", fmt::format("must be true or false, found {}", TypeName(*enabled)));
        } else {
            spec.enabled = enabled->get<bool>();
        }
    }
    if (!p.errors.empty()) return std::unexpected(std::move(p.errors));
    return spec;
}

Status CheckTarget(store::Tx& tx, int64_t workspace, const store::AlertSpec& spec) {
    if (spec.kind == store::AlertKind::EVENT_HEALTH) {
        auto a = tx.GetActivation(workspace, spec.target);
        if (!a) return std::unexpected(a.error());
        if (!*a) {
            return Fail(ErrorCode::NOT_FOUND, fmt::format("no activation has the key {}", json(spec.target).dump()),
                        "/target");
        }
        return {};
    }
    auto a = tx.GetAudience(workspace, spec.target);
    if (!a) return std::unexpected(a.error());
    if (!*a) return Fail(ErrorCode::NOT_FOUND, fmt::format("no audience has the key {}", json(spec.target).dump()),
                         "/target");
    return {};
}

std::string RedactUrl(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return "…";
    auto path = url.find('/', scheme + 3);
    return (path == std::string::npos ? url : url.substr(0, path)) + "/…";
}

json AlertJson(const store::AlertRecord& alert) {
    json channels = alert.spec.channels;
    for (json& ch : channels) {
        if (ch.is_object() && ch.value("type", "") == "slack" && ch.contains("url") && ch["url"].is_string()) {
            ch["url"] = RedactUrl(ch["url"].get<std::string>());
        }
    }
    json out = {{"id", alert.id},
                {"kind", store::AlertKindName(alert.spec.kind)},
                {"target", alert.spec.target},
                {"threshold_pct", alert.spec.threshold_pct},
                {"channels", std::move(channels)},
                {"enabled", alert.spec.enabled},
                {"created_by", alert.created_by ? json(*alert.created_by) : json(nullptr)},
                {"created_at", text::IsoMillis(alert.created_at)},
                {"updated_at", text::IsoMillis(alert.updated_at)},
                {"firing", alert.state.firing},
                {"last_checked_at",
                 alert.state.last_checked_at ? json(text::IsoMillis(*alert.state.last_checked_at)) : json(nullptr)},
                {"last_value", alert.state.last_value}};
    return out;
}

} // namespace kith::alert
