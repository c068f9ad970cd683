#include "support/standin_secrets.hpp"

#include "common/text.hpp"
#include "config/config.hpp"
#include "warehouse/bigquery_auth.hpp"
#include "warehouse/rest/http_client.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>

namespace kith::test {

namespace {

namespace fs = std::filesystem;

std::string RandomHex(size_t bytes) {
    std::random_device rd;
    std::string out;
    for (size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", rd() & 0xff);
    return out;
}

std::string Trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

// A file of the stand-in's, beside the one a variable names.
Result<std::string> Beside(const std::string& path, const std::string& name) {
    return text::ReadFile((fs::path(path).parent_path() / name).string());
}

// A PEM text, and each line of its base64 body: a leak of any part of a key shows.
void AddPem(std::vector<std::pair<std::string, std::string>>& material, const std::string& name,
            const std::string& pem) {
    material.emplace_back(name, pem);
    std::istringstream lines(pem);
    int n = 0;
    for (std::string line; std::getline(lines, line);) {
        line = Trimmed(line);
        if (line.size() >= 16 && !line.starts_with("-----")) {
            material.emplace_back(fmt::format("{} line {}", name, ++n), line);
        }
    }
}

// An access token from the stand-in's /token for the key file, signed and exchanged by the driver's own code.
Result<std::string> MintBigQueryToken(const Credentials& exported) {
    auto getenv = [&](const char* name) -> const char* {
        for (const auto& [n, v] : exported) {
            if (n == name) return v.c_str();
        }
        return nullptr;
    };
    auto auth = warehouse::bigquery::Auth::FromEnvironment(getenv);
    if (!auth) return std::unexpected(auth.error());
    warehouse::rest::HttpClient http;
    auto header = (*auth)->Header(http, {}, warehouse::RetryPolicy{});
    if (!header) return std::unexpected(header.error());
    constexpr std::string_view kPrefix = "Authorization: Bearer ";
    return header->substr(kPrefix.size());
}

// The engine's files: Snowflake's encrypted key and programmatic token, BigQuery's key JSON and plain token.
Status AddKeyFiles(StandinSecrets& s, const Standin& standin) {
    if (standin.engine == "snowflake") {
        std::string key_path = standin.Env("SNOWFLAKE_PRIVATE_KEY_PATH");
        auto key = text::ReadFile(key_path);
        auto token = Beside(key_path, "oauth_token");
        if (!key || !token) return Fail(ErrorCode::IO, "cannot read the Snowflake stand-in's key or token", key_path);
        AddPem(s.material, "the private key file", *key);
        s.token = {{"SNOWFLAKE_TOKEN", Trimmed(*token)}};
    } else if (standin.engine == "bigquery") {
        std::string key_path = standin.Env("GOOGLE_APPLICATION_CREDENTIALS");
        auto key = text::ReadFile(key_path);
        auto plain = Beside(key_path, "access_token");
        if (!key || !plain) return Fail(ErrorCode::IO, "cannot read the BigQuery stand-in's key or token", key_path);
        auto j = nlohmann::json::parse(*key, nullptr, false);
        if (!j.is_object() || !j.contains("private_key")) return Fail(ErrorCode::IO, "not a key file", key_path);
        s.material.emplace_back("the key file", *key);
        AddPem(s.material, "the service account's private key", j["private_key"].get<std::string>());
        s.material.emplace_back("the service account's private_key_id", j["private_key_id"].get<std::string>());
        s.material.emplace_back("the plain access token", Trimmed(*plain));
        auto minted = MintBigQueryToken(s.exported);
        if (!minted) return std::unexpected(minted.error());
        s.token = {{"BIGQUERY_ACCESS_TOKEN", *minted}};
    }
    return {};
}

} // namespace

Result<StandinSecrets> StandinSecrets::Of(const Standin& standin) {
    StandinSecrets s;
    s.engine = standin.engine;
    // Redshift's stand-in hands out a password and AWS keys (KITH_WAREHOUSE_IAM: the IAM login's URI); a URI with
    // auth=iam is given the keys alone, another the password alone.
    bool iam = standin.uri.find("auth=iam") != std::string::npos;
    for (const auto& [name, value] : standin.env) {
        if (name.starts_with("KITH_WAREHOUSE")) continue;
        if (s.engine == "redshift" && name.starts_with("AWS_") != iam) continue;
        s.exported.emplace_back(name, value);
    }
    if (s.engine == "spark") s.exported = {{"SPARK_PASSWORD", "spark-" + RandomHex(16)}};
    s.token = s.exported;
    if (auto ok = AddKeyFiles(s, standin); !ok) return std::unexpected(ok.error());
    std::string wrong = "wrong-" + RandomHex(16);
    if (s.engine == "redshift") {
        s.wrong = {{"PGPASSWORD", wrong}};
        if (iam) {
            s.wrong = s.exported;
            for (auto& [name, value] : s.wrong) {
                if (name == "AWS_SECRET_ACCESS_KEY") value = wrong + wrong.substr(0, 7); // 40 characters, as AWS's
            }
        }
    }
    if (s.engine == "snowflake") s.wrong = {{"SNOWFLAKE_TOKEN", "sfoauth" + wrong}};
    if (s.engine == "bigquery") s.wrong = {{"BIGQUERY_ACCESS_TOKEN", "ya29." + wrong}};
    if (s.engine == "databricks") s.wrong = {{"DATABRICKS_TOKEN", "dapi" + wrong}};
    // A key file's path names where the secret is; it is not one (errors about the file name it).
    for (const Credentials* c : {&s.exported, &s.token, &s.wrong}) {
        for (const auto& [name, value] : *c) {
            if (!config::IsPathVariable(name)) s.material.emplace_back(name, value);
        }
    }
    return s;
}

std::string StandinSecrets::FindIn(std::string_view text) const {
    for (const auto& [name, value] : material) {
        if (value.size() < 8) continue;
        if (auto at = text.find(value); at != std::string_view::npos) return fmt::format("{} at offset {}", name, at);
    }
    // Secrets kith makes or receives itself: signed JWTs (Snowflake's, BigQuery's assertion), PEM keys, bearer
    // tokens (Google's ya29., Databricks' dapi, the Snowflake stand-in's sfoauth), an Authorization header.
    static const std::regex kShapes(R"(eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}|-----BEGIN|ya29\.[A-Za-z0-9._-]{8}|)"
                                    R"(dapi[0-9a-f]{8}|sfoauth[0-9a-f]{8}|[Aa]uthorization:\s*\w+ \S)");
    std::string copy(text);
    std::smatch m;
    if (std::regex_search(copy, m, kShapes)) {
        return fmt::format("something shaped like a secret ({}...) at offset {}", m.str().substr(0, 6), m.position());
    }
    return "";
}

std::vector<std::string> CredentialVariables() {
    std::vector<std::string> out;
    for (std::string_view v : config::WarehouseSecretVariables()) out.emplace_back(v);
    return out;
}

ScopedCredentials::ScopedCredentials(const Credentials& variables) {
    auto save = [&](const std::string& name) {
        const char* v = std::getenv(name.c_str());
        saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
    };
    for (const std::string& name : CredentialVariables()) {
        save(name);
        unsetenv(name.c_str());
    }
    for (const auto& [name, value] : variables) {
        save(name);
        setenv(name.c_str(), value.c_str(), 1);
    }
}

ScopedCredentials::~ScopedCredentials() {
    // Backwards, so a variable saved twice gets its first (original) value back.
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
        const auto& [name, value] = *it;
        if (value) {
            setenv(name.c_str(), value->c_str(), 1);
        } else {
            unsetenv(name.c_str());
        }
    }
}

Status PostFault(const Standin& standin, const std::string& scope, const std::string& rule_json) {
    httplib::Client cli("127.0.0.1", standin.proxy_port);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(10);
    std::string path = "/_standin/faults?scope=" + scope;
    auto r = cli.Post(path, rule_json, "application/json");
    if (!r) return Fail(ErrorCode::IO, "POST " + path + ": " + httplib::to_string(r.error()));
    if (r->status != 200) return Fail(ErrorCode::IO, fmt::format("POST {}: HTTP {} {}", path, r->status, r->body));
    return {};
}

} // namespace kith::test
