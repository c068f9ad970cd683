#include "warehouse/rest/sigv4.hpp"

#include "common/text.hpp"
#include "warehouse/uri_text.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace kith::warehouse::rest {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

// A header value as SigV4 signs it: no leading or trailing spaces, runs of spaces as one.
std::string TrimmedValue(std::string_view value) {
    std::string out;
    for (char c : value) {
        bool space = c == ' ' || c == '\t';
        if (space && (out.empty() || out.back() == ' ')) continue;
        out += space ? ' ' : c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// Lower-cased names, sorted; the values of a repeated name joined by ',' in the order given.
std::map<std::string, std::string> CanonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : headers) {
        auto [it, added] = out.emplace(text::Lower(name), TrimmedValue(value));
        if (!added) it->second += "," + TrimmedValue(value);
    }
    return out;
}

std::string CanonicalPath(std::string_view path) {
    if (path.empty()) return "/";
    std::string out;
    size_t start = 0;
    while (true) {
        size_t slash = path.find('/', start);
        size_t length = slash == std::string_view::npos ? std::string_view::npos : slash - start;
        out += PercentEncode(path.substr(start, length));
        if (slash == std::string_view::npos) break;
        out += '/';
        start = slash + 1;
    }
    return out;
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    for (const auto& [name, value] : query) encoded.emplace_back(PercentEncode(name), PercentEncode(value));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) out += (out.empty() ? "" : "&") + name + "=" + value;
    return out;
}

std::string SignedHeaderNames(const std::map<std::string, std::string>& headers) {
    std::string out;
    for (const auto& entry : headers) out += (out.empty() ? "" : ";") + entry.first;
    return out;
}

} // namespace

std::string Sha256Hex(std::string_view data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    return Hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Result<std::string> HmacSha256(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes, data.size(), mac, &length) == nullptr) {
        return Fail(ErrorCode::INTERNAL, "HMAC-SHA256 failed (OpenSSL)", "sigv4");
    }
    return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                       utc.tm_min, utc.tm_sec);
}

std::string CanonicalRequest(const SigV4Request& req) {
    auto headers = CanonicalHeaders(req.headers);
    std::string lines;
    for (const auto& [name, value] : headers) lines += name + ":" + value + "\n";
    return req.method + "\n" + CanonicalPath(req.path) + "\n" + CanonicalQuery(req.query) + "\n" + lines + "\n" +
           SignedHeaderNames(headers) + "\n" + Sha256Hex(req.body);
}

Result<std::string> SigningKey(std::string_view secret_access_key, std::string_view date, const SigV4Scope& scope) {
    std::string key = "AWS4" + std::string(secret_access_key);
    for (std::string_view part : {date, std::string_view(scope.region), std::string_view(scope.service),
                                  std::string_view("aws4_request")}) {
        auto next = HmacSha256(key, part);
        std::fill(key.begin(), key.end(), '\0');
        if (!next) return std::unexpected(next.error());
        key = std::move(*next);
    }
    return key;
}

Result<SigV4Signature> SignV4(const SigV4Request& req, const AwsCredentials& credentials, const SigV4Scope& scope,
                              std::chrono::system_clock::time_point now) {
    SigV4Signature s;
    s.amz_date = AmzDate(now);
    const std::string date = s.amz_date.substr(0, 8);
    SigV4Request full = req;
    full.headers.emplace_back("X-Amz-Date", s.amz_date);
    if (!credentials.session_token.empty()) {
        full.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
    }
    s.canonical_request = CanonicalRequest(full);
    const std::string credential_scope = date + "/" + scope.region + "/" + scope.service + "/aws4_request";
    s.string_to_sign = std::string(kAlgorithm) + "\n" + s.amz_date + "\n" + credential_scope + "\n" +
                       Sha256Hex(s.canonical_request);
    auto key = SigningKey(credentials.secret_access_key, date, scope);
    if (!key) return std::unexpected(key.error());
    auto mac = HmacSha256(*key, s.string_to_sign);
    std::fill(key->begin(), key->end(), '\0');
    if (!mac) return std::unexpected(mac.error());
    s.signature = Hex(*mac);
    s.authorization = fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                                  credentials.access_key_id, credential_scope,
                                  SignedHeaderNames(CanonicalHeaders(full.headers)), s.signature);
    for (const auto& [name, value] : full.headers) s.headers.push_back(name + ": " + value);
    s.headers.push_back("Authorization: " + s.authorization);
    return s;
}

} // namespace kith::warehouse::rest
