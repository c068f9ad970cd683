#include "warehouse/bigquery_auth.hpp"

#include "common/text.hpp"
#include "warehouse/rest/http_client.hpp"
#include "warehouse/uri_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace kith::warehouse::bigquery {

using nlohmann::json;

namespace {

constexpr const char* kEngine = "bigquery";

// The token endpoint's error ({"error", "error_description"}), never the request (it holds the assertion).
std::string TokenError(const std::string& body) {
    auto j = json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("error")) {
        std::string error = j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
        if (j.contains("error_description") && j["error_description"].is_string()) {
            return error + ": " + j["error_description"].get<std::string>();
        }
        return error;
    }
    return text::Shortened(body, 500);
}

} // namespace

Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json_text, std::string_view what) {
    auto usage = [&](std::string message) {
        return Fail(ErrorCode::USAGE, fmt::format("{}: {}", what, message), kEngine);
    };
    auto j = json::parse(json_text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return usage("not a JSON object (expected a service-account key file)");
    auto field = [&](const char* name) -> std::string {
        return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : std::string();
    };
    std::string type = field("type");
    if (type != "service_account") {
        return usage(fmt::format("a key of type \"{}\"; kith needs a service-account key (\"type\": "
                                 "\"service_account\"), or set BIGQUERY_ACCESS_TOKEN instead",
                                 type));
    }
    ServiceAccountKey key;
    key.client_email = field("client_email");
    key.private_key_id = field("private_key_id");
    key.token_uri = field("token_uri");
    key.project_id = field("project_id");
    if (key.token_uri.empty()) key.token_uri = "https://oauth2.googleapis.com/token";
    for (auto [name, value] : {std::pair{"client_email", &key.client_email}, {"private_key_id", &key.private_key_id}}) {
        if (value->empty()) return usage(fmt::format("the key has no {}", name));
    }
    if (!key.token_uri.starts_with("https://") && !key.token_uri.starts_with("http://")) {
        return usage("the key's token_uri is not an http(s) URL");
    }
    std::string pem = field("private_key");
    if (pem.empty()) return usage("the key has no private_key");
    auto rsa = rest::RsaKey::FromPem(pem, "", what);
    std::fill(pem.begin(), pem.end(), '\0');
    if (!rsa) {
        Error e = rsa.error();
        e.location = kEngine;
        return std::unexpected(std::move(e));
    }
    key.key = std::move(*rsa);
    return key;
}

Result<std::string> SignAssertion(const ServiceAccountKey& key, int64_t iat, int64_t lifetime_seconds) {
    // rest::SignJwt writes a header without kid; Google finds the public key by it.
    json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", key.private_key_id}};
    json claims = {{"iss", key.client_email},
                   {"scope", kBigQueryScope},
                   {"aud", key.token_uri},
                   {"iat", iat},
                   {"exp", iat + lifetime_seconds}};
    std::string input = rest::Base64Url(header.dump()) + "." + rest::Base64Url(claims.dump());
    auto signature = key.key.SignSha256(input);
    if (!signature) return std::unexpected(signature.error());
    return input + "." + rest::Base64Url(*signature);
}

Result<std::shared_ptr<Auth>> Auth::FromEnvironment(const std::function<const char*(const char*)>& getenv) {
    auto value = [&](const char* name) {
        const char* v = getenv(name);
        return std::string(v ? v : "");
    };
    std::string path = value("GOOGLE_APPLICATION_CREDENTIALS");
    if (!path.empty()) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return Fail(ErrorCode::USAGE, "GOOGLE_APPLICATION_CREDENTIALS: cannot open the key file " + path, kEngine);
        }
        std::ostringstream text;
        text << in.rdbuf();
        std::string content = text.str();
        auto key = ParseServiceAccountKey(content, "GOOGLE_APPLICATION_CREDENTIALS (" + path + ")");
        std::fill(content.begin(), content.end(), '\0');
        if (!key) return std::unexpected(key.error());
        return FromKey(std::move(*key));
    }
    std::string token = value("BIGQUERY_ACCESS_TOKEN");
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (!token.empty()) return FromToken(std::move(token));
    return Fail(ErrorCode::USAGE,
                "no BigQuery credentials: set GOOGLE_APPLICATION_CREDENTIALS (the path of a service-account key "
                "JSON file) or BIGQUERY_ACCESS_TOKEN (an OAuth 2.0 access token)",
                kEngine);
}

std::shared_ptr<Auth> Auth::FromKey(ServiceAccountKey key) {
    auto auth = std::make_shared<Auth>();
    auth->key_ = std::make_shared<ServiceAccountKey>(std::move(key));
    return auth;
}

std::shared_ptr<Auth> Auth::FromToken(std::string token) {
    auto auth = std::make_shared<Auth>();
    auth->token_ = std::move(token);
    return auth;
}

std::string Auth::Describe() const {
    if (key_) return "service account " + key_->client_email;
    return "the access token of BIGQUERY_ACCESS_TOKEN";
}

int Auth::fetched_count() const {
    std::lock_guard lock(mutex_);
    return fetched_;
}

std::string Auth::key_project() const { return key_ ? key_->project_id : std::string(); }

Result<std::string> Auth::Header(rest::HttpClient& http, const std::stop_token& stop, const RetryPolicy& retry) {
    std::lock_guard lock(mutex_);
    if (key_ && (token_.empty() || std::chrono::steady_clock::now() >= renew_at_)) {
        auto token = Fetch(http, stop, retry);
        if (!token) return std::unexpected(token.error());
    }
    return "Authorization: Bearer " + token_;
}

bool Auth::Invalidate(const std::string& header) {
    std::lock_guard lock(mutex_);
    if (!key_) return false;
    // Another connection may have renewed it already; then the held token is newer than the refused one.
    if ("Authorization: Bearer " + token_ == header) token_.clear();
    return true;
}

Result<std::string> Auth::Fetch(rest::HttpClient& http, const std::stop_token& stop, const RetryPolicy& retry) {
    RetryLoop loop(retry, stop);
    std::string what = "access token from " + key_->token_uri.substr(0, key_->token_uri.find('?'));
    while (true) {
        auto now = std::chrono::system_clock::now();
        int64_t iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
        auto assertion = SignAssertion(*key_, iat);
        if (!assertion) return std::unexpected(assertion.error());
        rest::HttpRequest request;
        request.method = "POST";
        request.url = key_->token_uri;
        request.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
        request.body = "grant_type=" + PercentEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                       "&assertion=" + PercentEncode(*assertion);
        auto answer = http.Send(request, stop);
        std::fill(request.body.begin(), request.body.end(), '\0');
        if (!answer) {
            rest::HttpError& f = answer.error();
            if (f.interrupted) {
                return Fail(ErrorCode::WAREHOUSE, "the statement was interrupted (cancelled on the server)", kEngine);
            }
            f.error.message = fmt::format("{}: {}", what, f.error.message);
            f.error.location = kEngine;
            if (!loop.Again(f.error)) return std::unexpected(std::move(f.error));
            continue;
        }
        long status = answer->status;
        if (status != 200) {
            Error e{ErrorCode::WAREHOUSE,
                    fmt::format("{} for {}: HTTP {}: {}", what, key_->client_email, status, TokenError(answer->body)),
                    kEngine};
            e.transient = status == 429 || status >= 500;
            if (e.transient && loop.Again(e, answer->RetryAfter())) continue;
            return std::unexpected(std::move(e));
        }
        auto j = json::parse(answer->body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
            return Fail(ErrorCode::WAREHOUSE, what + ": an answer without access_token", kEngine);
        }
        token_ = j["access_token"].get<std::string>();
        long long expires_in = 3600;
        if (j.contains("expires_in") && j["expires_in"].is_number()) expires_in = j["expires_in"].get<long long>();
        if (expires_in < 1) expires_in = 1;
        // Renewed when min(5 minutes, half its lifetime) is left, so a token never expires during a request.
        auto margin = std::min<long long>(300, expires_in / 2);
        renew_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(expires_in - margin);
        ++fetched_;
        return token_;
    }
}

} // namespace kith::warehouse::bigquery
