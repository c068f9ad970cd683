// Iterable: "Api-Key: <apiKey>", to the data centre's API (api.iterable.com or api.eu.iterable.com) or base_url.
// trackEvent: POST /api/events/track (one event) or /api/events/trackBulk {"events": [...]}; updateUser: POST
// /api/users/update (one user) or /api/users/bulkUpdate {"users": [...]}. Each event or user is built as Segment's
// action builds it: dataFields always an object, its dates with a time in Iterable's format (2026-11-28 09:00:00
// +00:00), a user's phoneNumber inside it, updateOnly on a bulk update. createdAt goes as whole seconds since the epoch. A bulk answer counts failures (failCount) and lists the invalid
// emails and user IDs (and disallowed event names; failedUpdates lists more reasons): the events carrying them
// failed. When the answer counts more failures than it lists, the events not listed cannot be told apart from the
// failed ones: they are sent again (Iterable keeps one event per id and an update is the same update twice).

#include "deliver/datetime.hpp"
#include "deliver/http_destination_types.hpp"

#include <fmt/format.h>
#include <map>

namespace kith::deliver::http_types {

using nlohmann::json;

namespace {

bool NonEmptyString(const json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

// The identifiers a bulk answer lists as failed, each with the reason: its top-level lists and those of
// failedUpdates (keys ending in "Emails" list emails, in "UserIds" user IDs).
struct Listed {
    std::vector<std::pair<std::string, std::string>> emails, user_ids, event_names; // value, reason
};

void Collect(const json& lists, const std::string& prefix, Listed& out) {
    for (const auto& [key, values] : lists.items()) {
        if (!values.is_array()) continue;
        auto* into = key.ends_with("Emails")           ? &out.emails
                     : key.ends_with("UserIds")        ? &out.user_ids
                     : key == "disallowedEventNames" ? &out.event_names
                                                       : nullptr;
        if (!into) continue;
        for (const auto& v : values) {
            if (v.is_string()) into->emplace_back(v.get<std::string>(), prefix + key);
        }
    }
}

// The reason an identifier is listed, in words for the known lists ("invalid email"), else the list's name.
std::optional<std::string> Find(const std::vector<std::pair<std::string, std::string>>& list, const json& value) {
    static const std::map<std::string, std::string, std::less<>> kWords = {
        {"invalidEmails", "invalid email"},
        {"invalidUserIds", "invalid userId"},
        {"disallowedEventNames", "disallowed event name"}};
    if (!value.is_string()) return std::nullopt;
    for (const auto& [v, reason] : list) {
        if (v != value.get_ref<const std::string&>()) continue;
        auto words = kWords.find(reason);
        return (words == kWords.end() ? reason : words->second) + " " + v;
    }
    return std::nullopt;
}

// Whether Segment's Iterable action turns this text into Iterable's date format: an ISO 8601 date with a time, in
// upper case (its pattern has no `t` or `z`). A bare date stays as it is.
bool IterableDateText(const std::string& s) {
    return s.size() > 10 && s.find_first_of("tz") == std::string::npos && ParseIsoDatetime(s).has_value();
}

// Dates with a time, anywhere in dataFields, in Iterable's format.
void ConvertDates(json& v) {
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (IterableDateText(s)) v = IterableDate(*ParseIsoDatetime(s));
        return;
    }
    if (v.is_object() || v.is_array()) {
        for (auto& item : v) ConvertDates(item);
    }
}

class Iterable final : public HttpDestination {
public:
    Iterable(std::string base, std::string api_key, bool users, bool update_only, Parts parts)
        : HttpDestination("iterable", parts.limits, std::move(parts.mapper), std::move(parts.http)),
          base_(TrimSlash(base)), api_key_(std::move(api_key)), users_(users), bulk_(parts.limits.batch_size > 1),
          users_open_(update_only ? "{\"updateOnly\":true,\"users\":[" : "{\"users\":[") {}

protected:
    std::optional<std::string> Prepare(json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
        if (!NonEmptyString(m, "email") && !NonEmptyString(m, "userId")) {
            return std::string("Iterable needs an email or a userId, and the event has neither");
        }
        if (auto it = m.find("createdAt"); it != m.end()) {
            auto ms = DatetimeMillis(*it);
            if (!ms) return "createdAt is not a date: " + BodyExcerpt(it->dump());
            *it = FloorSeconds(*ms);
        }
        for (const char* kept_in_mapping : {"enable_batching", "batch_size", "updateOnly"}) m.erase(kept_in_mapping);
        json& fields = m["dataFields"];
        if (!fields.is_object()) fields = json::object();
        ConvertDates(fields);
        if (auto phone = m.find("phoneNumber"); phone != m.end()) {
            if (users_) fields["phoneNumber"] = std::move(*phone);
            m.erase(phone);
        }
        return std::nullopt;
    }

    HttpRequest Build(std::span<const Item> batch) const override {
        HttpRequest r;
        r.headers = {{"Api-Key", api_key_}};
        if (!bulk_) {
            r.url = base_ + (users_ ? "/api/users/update" : "/api/events/track");
            r.body = *batch.front().text;
            return r;
        }
        r.url = base_ + (users_ ? "/api/users/bulkUpdate" : "/api/events/trackBulk");
        r.body = JoinTexts(batch, users_ ? users_open_ : "{\"events\":[", "]}");
        return r;
    }

    void Interpret(const HttpResponse& response, std::span<const Item> batch,
                   std::span<Outcome> out) const override {
        HttpDestination::Interpret(response, batch, out);
        if (!bulk_ || response.status < 200 || response.status > 299) return;
        json body = json::parse(response.body, nullptr, false);
        if (!body.is_object()) return;
        Listed listed;
        Collect(body, "", listed);
        if (auto f = body.find("failedUpdates"); f != body.end() && f->is_object()) Collect(*f, "failedUpdates.", listed);
        size_t failed = 0;
        for (size_t i = 0; i < batch.size(); ++i) {
            json scratch;
            const json& m = Value(batch[i], scratch);
            if (!m.is_object()) continue;
            auto why = Find(listed.emails, m.value("email", json()));
            if (!why) why = Find(listed.user_ids, m.value("userId", json()));
            if (!why && !users_) why = Find(listed.event_names, m.value("eventName", json()));
            if (!why) continue;
            out[i] = Outcome::Failed("Iterable: " + *why, response.status);
            ++failed;
        }
        RetryUnlisted(body, failed, response.status, out);
    }

private:
    // failCount above the failures the answer lists: the events not listed may be among the failed ones.
    static void RetryUnlisted(const json& body, size_t listed, int status, std::span<Outcome> out) {
        auto count = body.find("failCount");
        if (count == body.end() || !count->is_number_integer() || count->get<int64_t>() <= static_cast<int64_t>(listed)) {
            return;
        }
        Outcome again = Outcome::Retry(
            fmt::format("Iterable counted {} failed of the batch but listed {}: the events it did not list are sent "
                        "again",
                        count->get<int64_t>(), listed),
            status);
        for (auto& o : out) {
            if (o.kind == Outcome::DELIVERED) o = again;
        }
    }

    std::string base_;
    std::string api_key_;
    bool users_;
    bool bulk_;
    std::string users_open_; // {"users":[ or, with updateOnly, {"updateOnly":true,"users":[
};

} // namespace

std::string IterableBase(const json& s) {
    std::string region = StringSetting(s, "dataCenterLocation", "united_states");
    return StringSetting(s, "base_url", region == "europe" ? "https://api.eu.iterable.com" : "https://api.iterable.com");
}

Result<std::unique_ptr<Destination>> MakeIterable(const json& s, const std::string& action, Parts parts) {
    std::string base = IterableBase(s);
    if (auto ok = NeedUrl("iterable", "base_url", base); !ok) return std::unexpected(ok.error());
    auto key = NeedString("iterable", s, "apiKey");
    if (!key) return std::unexpected(key.error());
    parts.limits.batch_size = BatchSize(s, parts, 1000, 1000);
    // updateOnly is a constant of the mapping (Segment takes it from the batch's first event; it allows no other input).
    bool update_only = parts.mapping.is_object() && parts.mapping.value("updateOnly", json(false)) == json(true);
    return std::make_unique<Iterable>(base, *key, action == "updateUser", update_only, std::move(parts));
}

} // namespace kith::deliver::http_types
