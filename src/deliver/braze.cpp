// Braze: POST {endpoint or base_url}/users/track, "Authorization: Bearer <api_key>", up to 75 objects a request, with
// "X-Braze-Batch: true" when it carries more than one. trackEvent sends {"events": [...]}, updateUserProfile
// {"attributes": [...]}, trackPurchase {"purchases": [...]} (one object per product), each object built as
// Segment's action builds it (src/deliver/README.md). A 201 may list non-fatal errors, each with the index of the
// object it concerns in "input_array": the events those objects came from failed (they are invalid); the others
// were processed. A 429 comes with X-RateLimit-Reset (epoch seconds), used when there is no Retry-After.

#include "deliver/datetime.hpp"
#include "deliver/http_destination_types.hpp"
#include "deliver/mapping_text.hpp"

#include "common/text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <expected>
#include <fmt/format.h>
#include <set>

namespace kith::deliver::http_types {

using nlohmann::json;

namespace {

enum class BrazeAction { EVENTS, ATTRIBUTES, PURCHASES };

bool NonEmptyString(const json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

// A user alias counts only with both of its parts (Braze refuses one without); it is sent with those two alone.
void KeepWholeAlias(json& m) {
    auto it = m.find("user_alias");
    if (it == m.end()) return;
    if (!NonEmptyString(*it, "alias_name") || !NonEmptyString(*it, "alias_label")) {
        m.erase(it);
        return;
    }
    *it = json{{"alias_name", (*it)["alias_name"]}, {"alias_label", (*it)["alias_label"]}};
}

// Replaces a datetime field by Braze's ISO 8601 text (or, with date_only, YYYY-MM-DD); a message when it is not a
// date.
std::optional<std::string> DateField(json& m, const char* key, bool date_only = false) {
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    auto ms = DatetimeMillis(*it);
    if (!ms) return fmt::format("{} is not a date: {}", key, BodyExcerpt(it->dump()));
    *it = date_only ? IsoDate(*ms) : text::IsoMillis(*ms);
    return std::nullopt;
}

// Braze's gender codes for the words people use (Segment's table); other text goes as it is.
void BrazeGender(json& m) {
    auto it = m.find("gender");
    if (it == m.end() || !it->is_string()) return;
    static const std::array<std::pair<const char*, std::array<const char*, 4>>, 5> kCodes = {{
        {"M", {"man", "male", "m", nullptr}},
        {"F", {"woman", "female", "w", "f"}},
        {"O", {"other", "o", nullptr, nullptr}},
        {"N", {"not applicable", "n", nullptr, nullptr}},
        {"P", {"prefer not to say", "p", nullptr, nullptr}},
    }};
    std::string lower = text::Lower(it->get<std::string>());
    for (const auto& [code, words] : kCodes) {
        for (const char* w : words) {
            if (w && lower == w) {
                *it = code;
                return;
            }
        }
    }
}

// The keys of an attributes object that custom attributes never set: the fields of updateUserProfile (they
// replace a custom attribute of the same name, even when they have no value), the fields of a purchase, and
// Segment's spec traits Braze has under other names. Segment's rule.
bool ReservedAttribute(const std::string& key) {
    static const std::set<std::string, std::less<>> kReserved = {
        "braze_id", "external_id", "user_alias", "email", "country", "current_location", "date_of_first_session",
        "date_of_last_session", "dob", "email_subscribe", "email_open_tracking_disabled",
        "email_click_tracking_disabled", "facebook", "first_name", "gender", "home_city", "image_url", "language",
        "last_name", "marked_email_as_spam_at", "phone", "push_subscribe", "push_tokens", "time_zone", "twitter",
        "_update_existing_only", "time", "products", "properties", "enable_batching", "batch_size", "firstName",
        "lastName", "avatar"};
    return kReserved.contains(key);
}

// A number of a purchase: a JSON number, or text that is one (Segment converts it).
std::optional<json> Number(const json& v, bool integer) {
    double d = 0;
    if (v.is_number()) {
        d = v.get<double>();
    } else if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (!std::isfinite(d) || (integer && std::trunc(d) != d)) return std::nullopt;
    if (integer) return json(static_cast<int64_t>(d));
    return v.is_number() ? v : json(d);
}

class Braze final : public HttpDestination {
public:
    Braze(std::string endpoint, std::string api_key, std::string app_id, BrazeAction action, Parts parts)
        : HttpDestination("braze", parts.limits, std::move(parts.mapper), std::move(parts.http)),
          url_(TrimSlash(endpoint) + "/users/track"), api_key_(std::move(api_key)), app_id_(std::move(app_id)),
          action_(action), array_(action == BrazeAction::EVENTS       ? "events"
                                  : action == BrazeAction::ATTRIBUTES ? "attributes"
                                                                      : "purchases") {}

protected:
    std::optional<std::string> Prepare(json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
        KeepWholeAlias(m);
        if (!NonEmptyString(m, "external_id") && !m.contains("user_alias") && !NonEmptyString(m, "braze_id") &&
            !NonEmptyString(m, "email")) {
            return std::string("Braze needs one of external_id, user_alias (with alias_name and alias_label), "
                               "braze_id or email, and the event has none");
        }
        m.erase("enable_batching"); // Segment's batching fields are read from the mapping, never sent
        m.erase("batch_size");
        switch (action_) {
        case BrazeAction::EVENTS: return PrepareEvent(m);
        case BrazeAction::ATTRIBUTES: return PrepareAttributes(m);
        case BrazeAction::PURCHASES: return PreparePurchases(m);
        }
        return std::nullopt;
    }

    size_t Weight(const json& prepared) const override { return prepared.is_array() ? prepared.size() : 1; }

    HttpRequest Build(std::span<const Item> batch) const override {
        HttpRequest r;
        r.url = url_;
        r.headers = {{"Authorization", "Bearer " + api_key_}};
        size_t objects = 0;
        for (const Item& item : batch) objects += item.weight;
        if (objects > 1) r.headers.emplace_back("X-Braze-Batch", "true");
        r.body = JoinTexts(batch, "{\"" + array_ + "\":[", "]}");
        return r;
    }

    void Interpret(const HttpResponse& response, std::span<const Item> batch,
                   std::span<Outcome> out) const override {
        HttpResponse r = response;
        if (r.status == 429 && !r.retry_after_ms) r.retry_after_ms = RateLimitReset(r);
        HttpDestination::Interpret(r, batch, out);
        if (r.status < 200 || r.status > 299) return;
        json body = json::parse(r.body, nullptr, false);
        if (!body.is_object() || !body.contains("errors") || !body["errors"].is_array()) return;
        // Objects to events: an event makes `weight` consecutive objects of the request.
        std::vector<size_t> event_of;
        for (size_t i = 0; i < batch.size(); ++i) event_of.insert(event_of.end(), batch[i].weight, i);
        for (const json& e : body["errors"]) {
            if (!e.is_object() || !e.contains("index") || !e["index"].is_number_integer()) continue;
            if (e.contains("input_array") && e["input_array"] != array_) continue;
            int64_t index = e["index"].get<int64_t>();
            if (index < 0 || index >= static_cast<int64_t>(event_of.size())) continue;
            std::string type = e.contains("type") && e["type"].is_string() ? e["type"].get<std::string>()
                                                                           : BodyExcerpt(e.dump());
            out[event_of[static_cast<size_t>(index)]] = Outcome::Failed("Braze: " + type, r.status);
        }
    }

private:
    // X-RateLimit-Reset (epoch seconds) as a delay from now.
    static std::optional<int64_t> RateLimitReset(const HttpResponse& r) {
        const std::string* reset = r.Header("x-ratelimit-reset");
        if (!reset) return std::nullopt;
        int64_t at = 0;
        auto [end, ec] = std::from_chars(reset->data(), reset->data() + reset->size(), at);
        if (ec != std::errc() || end != reset->data() + reset->size() || at <= 0 || at >= 1'000'000'000'000) {
            return std::nullopt;
        }
        return std::max<int64_t>(0, at * 1000 - WallClockMs());
    }

    std::optional<std::string> PrepareEvent(json& m) const {
        if (!app_id_.empty()) m["app_id"] = app_id_;
        return DateField(m, "time");
    }

    // The standard attributes in Braze's formats, then each custom attribute whose key is not reserved.
    static std::optional<std::string> PrepareAttributes(json& m) {
        for (const char* key : {"date_of_first_session", "date_of_last_session", "marked_email_as_spam_at"}) {
            if (auto problem = DateField(m, key)) return problem;
        }
        if (auto problem = DateField(m, "dob", true)) return problem;
        BrazeGender(m);
        if (auto at = m.find("current_location"); at != m.end()) {
            json kept = json::object();
            for (const char* k : {"latitude", "longitude"}) {
                if (at->contains(k) && !(*at)[k].is_null()) kept[k] = (*at)[k];
            }
            if (kept.empty()) m.erase(at);
            else *at = std::move(kept);
        }
        if (auto groups = m.find("subscription_groups"); groups != m.end() && groups->empty()) m.erase(groups);
        auto custom = m.find("custom_attributes");
        if (custom == m.end()) return std::nullopt;
        json attributes = std::move(*custom);
        m.erase("custom_attributes");
        if (!attributes.is_object()) return std::nullopt;
        for (auto& [k, v] : attributes.items()) {
            if (!ReservedAttribute(k) && !m.contains(k)) m[k] = std::move(v);
        }
        return std::nullopt;
    }

    // One purchase object per product: the identifiers, app_id and time, the product's ID, price, currency (USD when
    // absent) and quantity, and as properties the product's other keys with the event's properties over them.
    std::optional<std::string> PreparePurchases(json& m) const {
        if (auto problem = DateField(m, "time")) return problem;
        const json& products = m["products"];
        if (products.empty()) return std::string("the event has no products: no purchase to send");
        if (products.size() > 75) {
            return fmt::format("{} products, more than the 75 objects of a Braze request", products.size());
        }
        json base = json::object();
        for (const char* k : {"braze_id", "external_id", "user_alias", "email", "time", "_update_existing_only"}) {
            if (m.contains(k)) base[k] = m[k];
        }
        if (!app_id_.empty()) base["app_id"] = app_id_;
        json shared = m.contains("properties") && m["properties"].is_object() ? m["properties"] : json::object();
        shared.erase("products");
        json purchases = json::array();
        for (size_t i = 0; i < products.size(); ++i) {
            auto purchase = Purchase(products[i], base, shared);
            if (!purchase) return fmt::format("products[{}]: {}", i, purchase.error());
            purchases.push_back(std::move(*purchase));
        }
        m = std::move(purchases);
        return std::nullopt;
    }

    static std::expected<json, std::string> Purchase(const json& product, const json& base, const json& shared) {
        if (!product.is_object()) return std::unexpected("a product must be an object");
        json p = base;
        const json* id = product.contains("product_id") ? &product["product_id"] : nullptr;
        if (!id || !(id->is_string() || id->is_number()) || (id->is_string() && id->get<std::string>().empty())) {
            return std::unexpected("a product needs a product_id");
        }
        p["product_id"] = id->is_string() ? *id : json(JsNumber(*id));
        auto price = product.contains("price") ? Number(product["price"], false) : std::nullopt;
        if (!price) return std::unexpected("a product needs a price, a number");
        p["price"] = *price;
        const json* currency = product.contains("currency") ? &product["currency"] : nullptr;
        p["currency"] = currency && currency->is_string() ? *currency : json("USD");
        if (product.contains("quantity") && !product["quantity"].is_null()) {
            auto quantity = Number(product["quantity"], true);
            if (!quantity) return std::unexpected("a product's quantity must be an integer");
            p["quantity"] = *quantity;
        }
        json properties = json::object();
        for (const auto& [k, v] : product.items()) {
            if (k != "product_id" && k != "price" && k != "currency" && k != "quantity") properties[k] = v;
        }
        for (const auto& [k, v] : shared.items()) properties[k] = v;
        p["properties"] = std::move(properties);
        return p;
    }

    std::string url_;
    std::string api_key_;
    std::string app_id_;
    BrazeAction action_;
    std::string array_;
};

} // namespace

Result<std::unique_ptr<Destination>> MakeBraze(const json& s, const std::string& action, Parts parts) {
    // base_url, when given, replaces the instance's endpoint (a proxy, a server in tests).
    const char* which = s.contains("base_url") ? "base_url" : "endpoint";
    std::string endpoint = StringSetting(s, which);
    if (auto ok = NeedUrl("braze", which, endpoint); !ok) return std::unexpected(ok.error());
    auto key = NeedString("braze", s, "api_key");
    if (!key) return std::unexpected(key.error());
    parts.limits.batch_size = BatchSize(s, parts, 75, 75);
    BrazeAction kind = action == "updateUserProfile" ? BrazeAction::ATTRIBUTES
                       : action == "trackPurchase"   ? BrazeAction::PURCHASES
                                                     : BrazeAction::EVENTS;
    return std::make_unique<Braze>(endpoint, *key, StringSetting(s, "app_id"), kind, std::move(parts));
}

} // namespace kith::deliver::http_types
