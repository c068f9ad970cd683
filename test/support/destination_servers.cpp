#include "support/destination_servers.hpp"

#include "deliver/datetime.hpp"
#include "deliver/http_destinations.hpp"

namespace kith::test {

using nlohmann::json;
using Reply = HttpServer::Reply;
using Request = HttpServer::Request;

namespace {

Reply Json(int status, const json& body) {
    return Reply{status, body.dump(), {}, 0, false};
}

std::string Header(const Request& r, const std::string& name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
}

bool NonEmptyString(const json& o, const char* key) {
    return o.contains(key) && o[key].is_string() && !o[key].get<std::string>().empty();
}

// Braze's user alias object: both alias_name and alias_label, strings.
bool WholeAlias(const json& item) {
    return item.contains("user_alias") && item["user_alias"].is_object() &&
           NonEmptyString(item["user_alias"], "alias_name") && NonEmptyString(item["user_alias"], "alias_label");
}

// Braze's datetimes: ISO 8601 text (a number is refused).
bool IsoText(const json& item, const char* key) {
    return NonEmptyString(item, key) && deliver::ParseIsoDatetime(item[key].get<std::string>()).has_value();
}


} // namespace

void Accepted::Add(json item) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
}

std::vector<json> Accepted::Items() const {
    std::lock_guard lock(mu_);
    return items_;
}

size_t Accepted::Count() const {
    std::lock_guard lock(mu_);
    return items_.size();
}

void Accepted::Clear() {
    std::lock_guard lock(mu_);
    items_.clear();
}

// ---------------------------------------------------------------------------------------------------------------

BrazeServer::BrazeServer(std::string api_key) {
    auto events = events_, attributes = attributes_, purchases = purchases_;
    auto mu = mu_;
    auto rejected = rejected_;
    http_ = std::make_unique<HttpServer>([=](const Request& r) -> Reply {
        if (r.method != "POST" || r.path != "/users/track") return Json(404, {{"message", "Not Found"}});
        if (Header(r, "authorization") != "Bearer " + api_key) {
            return Json(401, {{"message", "Invalid API key: " + Header(r, "authorization")}});
        }
        json body = json::parse(r.body, nullptr, false);
        if (!body.is_object()) return Json(400, {{"message", "Invalid JSON in request body"}});
        json errors = json::array();
        std::vector<std::pair<std::shared_ptr<Accepted>, json>> keep;
        int processed_events = 0, processed_attributes = 0, processed_purchases = 0;
        for (const char* array : {"events", "attributes", "purchases"}) {
            if (!body.contains(array)) continue;
            const json& items = body[array];
            if (!items.is_array()) return Json(400, {{"message", std::string("'") + array + "' must be an array"}});
            if (items.size() > 75) {
                return Json(400, {{"message", std::string("Too many '") + array + "' objects: 75 is the limit"}});
            }
            for (size_t i = 0; i < items.size(); ++i) {
                const json& item = items[i];
                std::string problem;
                bool identified = item.is_object() && (NonEmptyString(item, "external_id") || WholeAlias(item) ||
                                                       NonEmptyString(item, "braze_id") || NonEmptyString(item, "email"));
                if (!identified) {
                    problem = "'external_id', 'braze_id', 'user_alias' or 'email' is required";
                } else if (item.contains("user_alias") && !WholeAlias(item)) {
                    problem = "'user_alias' must have an 'alias_name' and an 'alias_label'";
                } else if (std::string(array) == "events" && (!NonEmptyString(item, "name") || !IsoText(item, "time"))) {
                    problem = "Events must have a 'name' and a 'time' (ISO 8601 text)";
                } else if (std::string(array) == "purchases" &&
                           (!NonEmptyString(item, "product_id") || !IsoText(item, "time") ||
                            !item.contains("price") || !item["price"].is_number() || !NonEmptyString(item, "currency") ||
                            item["currency"].get<std::string>().size() != 3)) {
                    problem = "Purchases must have a 'product_id', a 'time' (ISO 8601 text), a 'price' and a 'currency'";
                } else if (NonEmptyString(item, "external_id")) {
                    std::lock_guard lock(*mu);
                    if (rejected->contains(item["external_id"].get<std::string>())) problem = "Invalid 'external_id'";
                }
                if (!problem.empty()) {
                    errors.push_back({{"type", problem}, {"input_array", array}, {"index", i}});
                    continue;
                }
                std::string which = array;
                keep.emplace_back(which == "events" ? events : which == "attributes" ? attributes : purchases, item);
                (which == "events" ? processed_events : which == "attributes" ? processed_attributes : processed_purchases)++;
            }
        }
        for (auto& [where, item] : keep) where->Add(std::move(item));
        json answer = {{"message", "success"}};
        if (processed_events) answer["events_processed"] = processed_events;
        if (processed_attributes) answer["attributes_processed"] = processed_attributes;
        if (processed_purchases) answer["purchases_processed"] = processed_purchases;
        if (!errors.empty()) answer["errors"] = errors;
        return Json(201, answer);
    });
}

void BrazeServer::RejectExternalId(const std::string& id) {
    std::lock_guard lock(*mu_);
    rejected_->insert(id);
}

// ---------------------------------------------------------------------------------------------------------------

IterableServer::IterableServer(std::string api_key) {
    auto events = events_, users = users_;
    auto mu = mu_;
    auto unlisted = unlisted_;
    http_ = std::make_unique<HttpServer>([=](const Request& r) -> Reply {
        static const std::set<std::string> paths = {"/api/events/track", "/api/events/trackBulk", "/api/users/update",
                                                    "/api/users/bulkUpdate"};
        if (r.method != "POST" || !paths.contains(r.path)) return Json(404, {{"msg", "Not Found"}, {"code", "NotFound"}});
        if (Header(r, "api-key") != api_key) {
            return Json(401, {{"msg", "Invalid API key"}, {"code", "BadApiKey"}, {"params", nullptr}});
        }
        json body = json::parse(r.body, nullptr, false);
        if (!body.is_object()) return Json(400, {{"msg", "Invalid JSON body"}, {"code", "InvalidJsonError"}});
        bool is_users = r.path.starts_with("/api/users");
        bool bulk = r.path.ends_with("Bulk") || r.path.ends_with("bulkUpdate");
        auto where = is_users ? users : events;
        // The reason an item is refused, or "" when it is accepted.
        auto check = [&](const json& item) -> std::pair<std::string, std::string> {
            if (!item.is_object()) return {"InvalidJsonError", "not an object"};
            bool email = NonEmptyString(item, "email"), user = NonEmptyString(item, "userId");
            if (!email && !user) return {"BadParams", "email or userId is required"};
            if (email && item["email"].get<std::string>().find('@') == std::string::npos) {
                return {"InvalidEmailAddressError", "Invalid email: " + item["email"].get<std::string>()};
            }
            if (!is_users && !NonEmptyString(item, "eventName")) return {"BadParams", "eventName is required"};
            if (item.contains("createdAt") && !item["createdAt"].is_number_integer()) {
                return {"BadParams", "createdAt must be seconds since the epoch"};
            }
            if (item.contains("dataFields") && !item["dataFields"].is_object()) {
                return {"BadParams", "dataFields must be an object"};
            }
            for (const char* flag : {"preferUserId", "mergeNestedObjects"}) {
                if (item.contains(flag) && !item[flag].is_boolean()) return {"BadParams", std::string(flag) + " must be a boolean"};
            }
            if (NonEmptyString(item, "userId")) {
                std::lock_guard lock(*mu);
                if (unlisted->contains(item["userId"].get<std::string>())) return {"Unlisted", ""};
            }
            return {"", ""};
        };
        if (!bulk) {
            auto [code, msg] = check(body);
            if (!code.empty()) return Json(400, {{"msg", msg}, {"code", code}, {"params", nullptr}});
            where->Add(body);
            return Json(200, {{"msg", ""}, {"code", "Success"}, {"params", nullptr}});
        }
        const char* array = is_users ? "users" : "events";
        if (!body.contains(array) || !body[array].is_array()) {
            return Json(400, {{"msg", std::string(array) + " is required"}, {"code", "BadParams"}});
        }
        if (body[array].size() > 1000) return Json(400, {{"msg", "at most 1000 per request"}, {"code", "BadParams"}});
        int ok = 0, fail = 0;
        json invalid_emails = json::array(), invalid_users = json::array();
        for (const json& item : body[array]) {
            auto [code, msg] = check(item);
            if (code.empty()) {
                where->Add(item);
                ++ok;
                continue;
            }
            ++fail;
            if (code == "InvalidEmailAddressError") invalid_emails.push_back(item["email"]);
            else if (code != "Unlisted" && item.is_object() && item.contains("userId")) invalid_users.push_back(item["userId"]);
        }
        return Json(200, {{"successCount", ok},
                          {"failCount", fail},
                          {"invalidEmails", invalid_emails},
                          {"invalidUserIds", invalid_users},
                          {"disallowedEventNames", json::array()},
                          {"filteredOutFields", json::array()},
                          {"createdFields", json::array()}});
    });
}

void IterableServer::FailWithoutListing(const std::string& user_id) {
    std::lock_guard lock(*mu_);
    unlisted_->insert(user_id);
}

// ---------------------------------------------------------------------------------------------------------------

SegmentServer::SegmentServer(std::string write_key) {
    auto events = events_;
    std::string auth = "Basic " + deliver::Base64(write_key + ":");
    http_ = std::make_unique<HttpServer>([=](const Request& r) -> Reply {
        if (r.method != "POST" || r.path != "/v1/batch") return Json(404, {{"success", false}});
        if (Header(r, "authorization") != auth) return Json(401, {{"success", false}, {"message", "Invalid write key"}});
        if (r.body.size() > 500 * 1024) return Json(400, {{"success", false}, {"message", "Batch over 500 KB"}});
        json body = json::parse(r.body, nullptr, false);
        if (!body.is_object() || !body.contains("batch") || !body["batch"].is_array()) {
            return Json(400, {{"success", false}, {"message", "Invalid batch"}});
        }
        for (const json& e : body["batch"]) {
            if (!e.is_object() || !NonEmptyString(e, "type") || !NonEmptyString(e, "messageId")) {
                return Json(400, {{"success", false}, {"message", "Every event needs a type and a messageId"}});
            }
        }
        for (const json& e : body["batch"]) events->Add(e);
        return Json(200, {{"success", true}});
    });
}

} // namespace kith::test
