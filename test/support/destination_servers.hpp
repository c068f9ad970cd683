// Local servers that speak the documented APIs of the destinations kith sends
// to, on 127.0.0.1, for tests: they check the auth header, the path and the
// request body as the real service does, answer with its documented success
// and error shapes, and keep what they accepted. Each is an HttpServer, so a
// test can also Script() failures (500, 429 + Retry-After, slow, dropped).
//
// - Braze: POST /users/track, "Authorization: Bearer <key>", {"events": [...]}
//   and/or {"attributes": [...]} and/or {"purchases": [...]}, at most 75
//   objects each; 201 with
//   {"message": "success", "errors": [{"type", "input_array", "index"}]} for
//   objects it rejects (no identifier, a user_alias without both alias_name
//   and alias_label, an event without a name or whose time is not ISO 8601
//   text, a purchase without a product_id, time, price or 3-letter currency,
//   or an external_id the test marked invalid); 400 / 401 for fatal
//   errors.
// - Iterable: "Api-Key: <key>"; POST /api/events/track, /api/events/trackBulk
//   ({"events": [...]}, at most 1000), /api/users/update, /api/users/bulkUpdate
//   ({"users": [...]}); single calls answer {"msg", "code": "Success"} or 400
//   {"code": "InvalidEmailAddressError"}; createdAt must be an integer,
//   dataFields an object, preferUserId and mergeNestedObjects booleans; bulk
//   calls 200 with successCount, failCount, invalidEmails, invalidUserIds (a
//   user the test marks fails without being listed, counted in failCount only).
// - Segment: POST /v1/batch, basic auth with the write key as user name,
//   {"batch": [...]} of events with a type and a messageId, under 500 KB;
//   200 {"success": true}.
#pragma once

#include "support/http_server.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace kith::test {

//! What a destination server accepted, shared with its handler.
class Accepted {
public:
    void Add(nlohmann::json item);
    std::vector<nlohmann::json> Items() const;
    size_t Count() const;
    void Clear();

private:
    mutable std::mutex mu_;
    std::vector<nlohmann::json> items_;
};

class BrazeServer {
public:
    explicit BrazeServer(std::string api_key);
    HttpServer& http() { return *http_; }
    std::string url() const { return http_->url(); }
    std::vector<nlohmann::json> Events() const { return events_->Items(); }
    std::vector<nlohmann::json> Attributes() const { return attributes_->Items(); }
    std::vector<nlohmann::json> Purchases() const { return purchases_->Items(); }
    //! Objects with this external_id are rejected as a non-fatal error.
    void RejectExternalId(const std::string& id);

private:
    std::shared_ptr<Accepted> events_ = std::make_shared<Accepted>();
    std::shared_ptr<Accepted> attributes_ = std::make_shared<Accepted>();
    std::shared_ptr<Accepted> purchases_ = std::make_shared<Accepted>();
    std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
    std::shared_ptr<std::set<std::string>> rejected_ = std::make_shared<std::set<std::string>>();
    std::unique_ptr<HttpServer> http_;
};

class IterableServer {
public:
    explicit IterableServer(std::string api_key);
    HttpServer& http() { return *http_; }
    std::string url() const { return http_->url(); }
    std::vector<nlohmann::json> Events() const { return events_->Items(); }
    std::vector<nlohmann::json> Users() const { return users_->Items(); }
    //! Items with this userId fail in bulk calls, counted in failCount but in no list.
    void FailWithoutListing(const std::string& user_id);

private:
    std::shared_ptr<Accepted> events_ = std::make_shared<Accepted>();
    std::shared_ptr<Accepted> users_ = std::make_shared<Accepted>();
    std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
    std::shared_ptr<std::set<std::string>> unlisted_ = std::make_shared<std::set<std::string>>();
    std::unique_ptr<HttpServer> http_;
};

class SegmentServer {
public:
    explicit SegmentServer(std::string write_key);
    HttpServer& http() { return *http_; }
    std::string url() const { return http_->url(); }
    std::vector<nlohmann::json> Events() const { return events_->Items(); }

private:
    std::shared_ptr<Accepted> events_ = std::make_shared<Accepted>();
    std::unique_ptr<HttpServer> http_;
};

} // namespace kith::test
