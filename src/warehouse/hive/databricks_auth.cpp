#include "warehouse/hive/databricks_auth.hpp"

#include "warehouse/hive/http_transport.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kith::warehouse::hive {

std::string Base64(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                     uint32_t(uint8_t(bytes[i + 2]));
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == bytes.size()) {
        uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == bytes.size()) {
        uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

Result<std::shared_ptr<DatabricksAuth>> DatabricksAuth::FromEnvironment(
    std::string base_url, std::function<const char*(const char*)> getenv) {
    auto value = [&](const char* name) {
        const char* v = getenv(name);
        return std::string(v ? v : "");
    };
    auto auth = std::make_shared<DatabricksAuth>();
    auth->base_url_ = std::move(base_url);
    auth->token_ = value("DATABRICKS_TOKEN");
    if (auth->token_.empty()) {
        auth->client_id_ = value("DATABRICKS_CLIENT_ID");
        auth->client_secret_ = value("DATABRICKS_CLIENT_SECRET");
        if (auth->client_id_.empty() || auth->client_secret_.empty()) {
            return Fail(ErrorCode::USAGE,
                        "no Databricks credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and "
                        "DATABRICKS_CLIENT_SECRET",
                        "databricks");
        }
    }
    return auth;
}

bool DatabricksAuth::Invalidate() {
    std::lock_guard lock(mutex_);
    if (client_id_.empty()) return false;
    token_.clear();
    return true;
}

Result<std::string> DatabricksAuth::Authorization() {
    std::lock_guard lock(mutex_);
    if (client_id_.empty()) return "Bearer " + token_;
    auto now = std::chrono::steady_clock::now();
    if (!token_.empty() && now + std::chrono::seconds(60) < expires_) return "Bearer " + token_;
    std::string url = base_url_ + "/oidc/v1/token";
    auto answer = HttpPost(url,
                           {"Authorization: Basic " + Base64(client_id_ + ":" + client_secret_),
                            "Content-Type: application/x-www-form-urlencoded", "Accept: application/json"},
                           "grant_type=client_credentials&scope=all-apis", 60);
    if (!answer) {
        Error e = answer.error();
        e.message = "OAuth token request failed: " + e.message;
        e.location = "databricks";
        return std::unexpected(std::move(e));
    }
    if (answer->status != 200) {
        std::string body = answer->body.substr(0, 1000);
        Error e{ErrorCode::WAREHOUSE,
                fmt::format("OAuth token request to {} refused: HTTP {}: {}", url, answer->status, body),
                "databricks"};
        e.transient = IsTransientStatus(answer->status);
        return std::unexpected(std::move(e));
    }
    auto json = nlohmann::json::parse(answer->body, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("access_token") ||
        !json["access_token"].is_string()) {
        return Fail(ErrorCode::WAREHOUSE, "OAuth token response without access_token from " + url, "databricks");
    }
    token_ = json["access_token"].get<std::string>();
    int64_t seconds = 3600;
    if (json.contains("expires_in") && json["expires_in"].is_number()) seconds = json["expires_in"].get<int64_t>();
    expires_ = now + std::chrono::seconds(seconds);
    return "Bearer " + token_;
}

} // namespace kith::warehouse::hive
