// Iterable: "Api-Key: <apiKey>", to the data centre's API (api.iterable.com or api.eu.iterable.com) or base_url. Custom Event: POST /api/events/track (one event) or /api/events/trackBulk
// {"events": [...]}; Upsert User: POST /api/users/update (one user) or /api/users/bulkUpdate {"users": [...]}.
// createdAt goes as whole seconds since the epoch. A bulk answer counts failures (failCount) and lists the invalid
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

class Iterable final : public HttpDestination {
public:
    Iterable(std::string base, std::string api_key, bool users, Parts parts)
        : HttpDestination("iterable", parts.limits, std::move(parts.mapper), std::move(parts.http)),
          base_(TrimSlash(base)), api_key_(std::move(api_key)), users_(users), bulk_(parts.limits.batch_size > 1) {}

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
        r.body = JoinTexts(batch, users_ ? "{\"users\":[" : "{\"events\":[", "]}");
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
};

} // namespace

Result<std::unique_ptr<Destination>> MakeIterable(const json& s, const std::string& action, Parts parts) {
    // The data centre's API, unless base_url replaces it.
    std::string region = StringSetting(s, "dataCenterLocation", "united_states");
    std::string base = StringSetting(s, "base_url", region == "europe" ? "https://api.eu.iterable.com"
                                                                      : "https://api.iterable.com");
    if (auto ok = NeedUrl("iterable", "base_url", base); !ok) return std::unexpected(ok.error());
    auto key = NeedString("iterable", s, "apiKey");
    if (!key) return std::unexpected(key.error());
    parts.limits.batch_size = BatchSize(s, parts, 1000, 1000);
    return std::make_unique<Iterable>(base, *key, action == "updateUser", std::move(parts));
}

} // namespace kith::deliver::http_types
