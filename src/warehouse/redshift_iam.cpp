#include "warehouse/redshift_iam.hpp"

#include "common/text.hpp"
#include "warehouse/rest/http_client.hpp"
#include "warehouse/uri_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace kith::warehouse::redshift {

namespace {

constexpr const char* kEngine = "redshift";

std::unexpected<Error> Usage(std::string message) { return Fail(ErrorCode::USAGE, std::move(message), kEngine); }

// --- the URI ----------------------------------------------------------------------------------------------------

bool NoUpper(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
}

bool AllOf(std::string_view s, std::string_view allowed_punctuation) {
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || allowed_punctuation.find(c) != std::string_view::npos;
    });
}

// AWS's rules for a cluster identifier: lower-case letters, digits and hyphens, a letter first, at most 63.
bool ValidClusterId(std::string_view id) {
    return !id.empty() && id.size() <= 63 && std::islower(static_cast<unsigned char>(id[0])) && AllOf(id, "-") &&
           NoUpper(id) && id.back() != '-' && id.find("--") == std::string_view::npos;
}

bool ValidRegion(std::string_view region) {
    return !region.empty() && region.size() <= 32 && AllOf(region, "-") && NoUpper(region);
}

// GetClusterCredentials' rules for DbUser and DbName: 1 to 64 letters, digits, _ + . @ -, a letter first.
bool ValidDbName(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::isalpha(static_cast<unsigned char>(name[0])) &&
           AllOf(name, "_+.@-");
}

struct ClusterHost {
    std::string cluster_id;
    std::string region;
};

// CLUSTER.XXXX.REGION.redshift.amazonaws.com[.cn]: the endpoint AWS gives a provisioned cluster.
std::optional<ClusterHost> ParseClusterHost(std::string_view host) {
    std::vector<std::string> labels;
    for (size_t start = 0;;) {
        size_t dot = host.find('.', start);
        labels.emplace_back(host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    size_t n = labels.size();
    bool china = n == 7 && labels[6] == "cn";
    if (!(n == 6 || china) || labels[3] != "redshift" || labels[4] != "amazonaws" || labels[5] != "com") return {};
    return ClusterHost{text::Lower(labels[0]), text::Lower(labels[2])};
}

std::string Param(const std::map<std::string, std::string>& params, const std::string& key) {
    auto it = params.find(key);
    return it == params.end() ? std::string() : it->second;
}

// A whole number of seconds in [min, max] from the parameter key, or fallback when it is absent.
Result<int> SecondsParam(const std::map<std::string, std::string>& params, const std::string& key, int fallback,
                         int min, int max) {
    auto it = params.find(key);
    if (it == params.end()) return fallback;
    const std::string& v = it->second;
    if (v.empty() || v.size() > 7 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < min ||
        std::stoi(v) > max) {
        return Usage(fmt::format("{} must be a number of seconds from {} to {}, not \"{}\"", key, min, max, v));
    }
    return std::stoi(v);
}

Result<std::string> ApiEndpoint(const std::map<std::string, std::string>& params, const std::string& region) {
    std::string endpoint = Param(params, "iam_endpoint");
    if (endpoint.empty()) {
        return "https://redshift." + region + ".amazonaws.com" + (region.starts_with("cn-") ? ".cn" : "");
    }
    if (!endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
        return Usage("iam_endpoint must be an http:// or https:// URL, not " + endpoint);
    }
    while (endpoint.back() == '/') endpoint.pop_back();
    return endpoint;
}

// --- XML ----------------------------------------------------------------------------------------------------------

struct DocDeleter {
    void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

// Parses without network access, entity expansion or messages on stderr.
DocPtr ParseXml(std::string_view xml) {
    static std::once_flag init;
    std::call_once(init, [] { xmlInitParser(); });
    if (xml.size() > 1'000'000) return nullptr;
    return DocPtr(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "aws.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

bool Named(const xmlNode* node, const char* name) {
    return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

const xmlNode* Child(const xmlNode* parent, const char* name) {
    if (parent == nullptr) return nullptr;
    for (const xmlNode* c = parent->children; c != nullptr; c = c->next) {
        if (Named(c, name)) return c;
    }
    return nullptr;
}

const xmlNode* Descendant(const xmlNode* node, const char* name) {
    for (const xmlNode* c = node ? node->children : nullptr; c != nullptr; c = c->next) {
        if (Named(c, name)) return c;
        if (const xmlNode* found = Descendant(c, name)) return found;
    }
    return nullptr;
}

std::optional<std::string> Text(const xmlNode* node) {
    if (node == nullptr) return std::nullopt;
    xmlChar* content = xmlNodeGetContent(node);
    if (content == nullptr) return std::nullopt;
    std::string text(reinterpret_cast<const char*>(content));
    xmlFree(content);
    return text;
}

// --- the request --------------------------------------------------------------------------------------------------

struct Url {
    std::string origin; //!< scheme://authority
    std::string host;   //!< the authority, for the Host header
    std::string path;   //!< decoded, ending in '/'
};

Url SplitEndpoint(const std::string& endpoint) {
    size_t authority = endpoint.find("://") + 3;
    size_t slash = endpoint.find('/', authority);
    Url url;
    url.origin = endpoint.substr(0, slash);
    url.host = endpoint.substr(authority, slash == std::string::npos ? std::string::npos : slash - authority);
    url.path = slash == std::string::npos ? "/" : PercentDecode(endpoint.substr(slash)) + "/";
    return url;
}

std::string Masked(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
        text.replace(at, secret.size(), "[secret]");
    }
    return text;
}

} // namespace

bool IsIamParameter(std::string_view key) {
    static constexpr std::array<std::string_view, 6> kKeys{"auth",         "cluster_id", "region",
                                                          "iam_endpoint", "iam_duration", "retry_for"};
    return std::find(kKeys.begin(), kKeys.end(), key) != kKeys.end();
}

Result<IamOptions> IamOptionsFrom(std::string_view host, const std::string& user, const std::string& database,
                                  const std::map<std::string, std::string>& params) {
    if (!params.contains("auth")) {
        return Usage("cluster_id, region, iam_endpoint, iam_duration and retry_for are for IAM logins: add auth=iam");
    }
    if (std::string auth = Param(params, "auth"); auth != "iam") {
        return Usage("auth=" + auth + " is not a Redshift login kith knows: auth=iam asks GetClusterCredentials for a "
                     "temporary password; without auth= libpq reads PGPASSWORD or a .pgpass file");
    }
    IamOptions o;
    o.db_user = user;
    o.db_name = database;
    if (o.db_user.empty()) {
        return Usage("auth=iam needs the database user to log in as: redshift://USER@HOST:5439/DATABASE?auth=iam");
    }
    if (!ValidDbName(o.db_user)) return Usage("not a Redshift user name GetClusterCredentials accepts: " + o.db_user);
    if (!ValidDbName(o.db_name)) {
        return Usage("not a Redshift database name GetClusterCredentials accepts: " + o.db_name);
    }
    auto named = ParseClusterHost(host);
    o.cluster_id = params.contains("cluster_id") ? text::Lower(Param(params, "cluster_id"))
                   : named                       ? named->cluster_id
                                                 : "";
    o.region = params.contains("region") ? Param(params, "region") : named ? named->region : "";
    if (o.cluster_id.empty() || o.region.empty()) {
        return Usage(fmt::format("auth=iam needs the cluster's {}: the host {} is not a cluster endpoint "
                                 "CLUSTER.XXXX.REGION.redshift.amazonaws.com, so add {}",
                                 o.cluster_id.empty() && o.region.empty() ? "identifier and region"
                                 : o.cluster_id.empty()                   ? "identifier"
                                                                          : "region",
                                 host.empty() ? "(none)" : std::string(host),
                                 o.cluster_id.empty() && o.region.empty() ? "cluster_id=ID&region=REGION"
                                 : o.cluster_id.empty()                   ? "cluster_id=ID"
                                                                          : "region=REGION"));
    }
    if (!ValidClusterId(o.cluster_id)) {
        return Usage("not a Redshift cluster identifier (lower-case letters, digits and hyphens, a letter first): " +
                     o.cluster_id);
    }
    if (!ValidRegion(o.region)) return Usage("not an AWS region: " + o.region);
    auto endpoint = ApiEndpoint(params, o.region);
    if (!endpoint) return std::unexpected(endpoint.error());
    o.endpoint = *endpoint;
    auto duration = SecondsParam(params, "iam_duration", 900, 1, 3600);
    if (!duration) return std::unexpected(duration.error());
    o.duration_seconds = *duration;
    auto retry_for = SecondsParam(params, "retry_for", 60, 0, 86400);
    if (!retry_for) return std::unexpected(retry_for.error());
    o.retry.total = std::chrono::seconds(*retry_for);
    return o;
}

std::string GetClusterCredentialsBody(const IamOptions& options) {
    return "Action=GetClusterCredentials&Version=2012-12-01&ClusterIdentifier=" + PercentEncode(options.cluster_id) +
           "&DbUser=" + PercentEncode(options.db_user) + "&DbName=" + PercentEncode(options.db_name) +
           "&DurationSeconds=" + std::to_string(options.duration_seconds) + "&AutoCreate=false";
}

std::optional<std::chrono::system_clock::time_point> ParseIsoTime(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z.
    static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
    if (text.size() < kShape.size() + 1 || text.back() != 'Z') return std::nullopt;
    for (size_t i = 0; i < kShape.size(); ++i) {
        bool digit = std::isdigit(static_cast<unsigned char>(text[i]));
        if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
    }
    std::string_view fraction = text.substr(kShape.size(), text.size() - kShape.size() - 1);
    if (!fraction.empty() && (fraction[0] != '.' || fraction.size() < 2 ||
                              fraction.substr(1).find_first_not_of("0123456789") != std::string_view::npos)) {
        return std::nullopt;
    }
    auto number = [&](size_t at, size_t len) { return std::stoi(std::string(text.substr(at, len))); };
    std::tm tm{};
    tm.tm_year = number(0, 4) - 1900;
    tm.tm_mon = number(5, 2) - 1;
    tm.tm_mday = number(8, 2);
    tm.tm_hour = number(11, 2);
    tm.tm_min = number(14, 2);
    tm.tm_sec = number(17, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
        return std::nullopt;
    }
    std::chrono::milliseconds millis{0};
    if (fraction.size() > 1) {
        millis = std::chrono::milliseconds(std::stoi((std::string(fraction.substr(1)) + "00").substr(0, 3)));
    }
    return std::chrono::system_clock::from_time_t(timegm(&tm)) + millis;
}

Result<ClusterCredentials> ParseClusterCredentials(std::string_view xml) {
    DocPtr doc = ParseXml(xml);
    const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (root == nullptr || !Named(root, "GetClusterCredentialsResponse")) {
        return Fail(ErrorCode::WAREHOUSE, "GetClusterCredentials: the answer is not a GetClusterCredentialsResponse",
                    kEngine);
    }
    const xmlNode* result = Child(root, "GetClusterCredentialsResult");
    auto user = Text(Child(result, "DbUser"));
    auto password = Text(Child(result, "DbPassword"));
    auto expiration = Text(Child(result, "Expiration"));
    if (!user || user->empty() || !password || password->empty() || !expiration) {
        return Fail(ErrorCode::WAREHOUSE, "GetClusterCredentials: the answer lacks DbUser, DbPassword or Expiration",
                    kEngine);
    }
    auto when = ParseIsoTime(*expiration);
    if (!when) {
        return Fail(ErrorCode::WAREHOUSE, "GetClusterCredentials: an Expiration that is not a time: " + *expiration,
                    kEngine);
    }
    return ClusterCredentials{*user, *password, *when};
}

std::optional<AwsError> ParseAwsError(std::string_view xml) {
    DocPtr doc = ParseXml(xml);
    const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
    if (root == nullptr) return std::nullopt;
    const xmlNode* error = Named(root, "Error") ? root : Descendant(root, "Error");
    auto code = Text(Child(error, "Code"));
    if (!code || code->empty()) return std::nullopt;
    return AwsError{*code, Text(Child(error, "Message")).value_or("")};
}

bool IsTransientAwsError(long status, std::string_view code) {
    static constexpr std::array<std::string_view, 13> kCodes{
        "Throttling",     "ThrottlingException",     "ThrottledException",  "RequestThrottledException",
        "RequestThrottled", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
        "PriorRequestNotComplete", "RequestTimeout", "RequestTimeoutException", "ServiceUnavailable",
        "InternalFailure"};
    if (rest::IsTransientStatus(status) || status == 500) return true;
    return std::find(kCodes.begin(), kCodes.end(), code) != kCodes.end();
}

Result<std::shared_ptr<IamAuth>> IamAuth::FromEnvironment(IamOptions options,
                                                           const std::function<const char*(const char*)>& getenv) {
    auto value = [&](const char* name) {
        const char* v = getenv(name);
        std::string s = v ? v : "";
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
        return s;
    };
    rest::AwsCredentials keys{value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"), value("AWS_SESSION_TOKEN")};
    std::vector<std::string> missing;
    if (keys.access_key_id.empty()) missing.push_back("AWS_ACCESS_KEY_ID");
    if (keys.secret_access_key.empty()) missing.push_back("AWS_SECRET_ACCESS_KEY");
    if (!missing.empty()) {
        return Usage(fmt::format("auth=iam needs an AWS access key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                                 "(and AWS_SESSION_TOKEN for a temporary one): {} {} not set",
                                 fmt::join(missing, " and "), missing.size() == 1 ? "is" : "are"));
    }
    return std::make_shared<IamAuth>(std::move(options), std::move(keys));
}

IamAuth::IamAuth(IamOptions options, rest::AwsCredentials keys)
    : options_(std::move(options)), keys_(std::move(keys)),
      http_(std::make_unique<rest::HttpClient>(rest::HttpClient::Options{.connect_timeout_seconds = 30,
                                                                         .timeout_seconds = 60,
                                                                         .location = kEngine})) {}

IamAuth::~IamAuth() {
    std::fill(keys_.secret_access_key.begin(), keys_.secret_access_key.end(), '\0');
    std::fill(keys_.session_token.begin(), keys_.session_token.end(), '\0');
    if (held_) std::fill(held_->db_password.begin(), held_->db_password.end(), '\0');
}

int IamAuth::fetched_count() const {
    std::lock_guard lock(mutex_);
    return fetched_;
}

Result<ClusterCredentials> IamAuth::Login(const std::stop_token& stop) {
    std::lock_guard lock(mutex_);
    if (held_ && std::chrono::system_clock::now() < renew_at_) return *held_;
    auto fresh = Fetch(stop);
    if (!fresh) return std::unexpected(fresh.error());
    if (held_) std::fill(held_->db_password.begin(), held_->db_password.end(), '\0');
    held_ = std::move(*fresh);
    ++fetched_;
    // A login needs the password only while it logs in: renewed when min(60 s, a quarter of its lifetime) is left.
    auto now = std::chrono::system_clock::now();
    auto lifetime = std::chrono::duration_cast<std::chrono::milliseconds>(held_->expiration - now);
    renew_at_ = held_->expiration - std::min<std::chrono::milliseconds>(std::chrono::seconds(60), lifetime / 4);
    return *held_;
}

std::string IamAuth::Scrubbed(std::string text) const {
    if (size_t blank = text.find("\n\n"); blank != std::string::npos) text.resize(blank);
    text = Masked(Masked(std::move(text), keys_.secret_access_key), keys_.session_token);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text;
}

Result<ClusterCredentials> IamAuth::Fetch(const std::stop_token& stop) {
    RetryLoop loop(options_.retry, stop);
    const std::string what = "GetClusterCredentials for cluster " + options_.cluster_id;
    const Url url = SplitEndpoint(options_.endpoint);
    while (true) {
        rest::SigV4Request signing;
        signing.method = "POST";
        signing.path = url.path;
        signing.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, {"Host", url.host}};
        signing.body = GetClusterCredentialsBody(options_);
        auto signature = rest::SignV4(signing, keys_, {options_.region, "redshift"}, std::chrono::system_clock::now());
        if (!signature) return std::unexpected(signature.error());
        rest::HttpRequest request{.method = "POST", .url = url.origin + url.path, .headers = signature->headers,
                                  .body = signing.body};
        auto answer = http_->Send(request, stop);
        if (!answer) {
            rest::HttpError& f = answer.error();
            if (f.interrupted) return Fail(ErrorCode::WAREHOUSE, what + ": interrupted", kEngine);
            f.error.message = what + ": " + f.error.message;
            if (!loop.Again(f.error)) return std::unexpected(std::move(f.error));
            continue;
        }
        if (answer->status == 200) {
            auto credentials = ParseClusterCredentials(answer->body);
            std::fill(answer->body.begin(), answer->body.end(), '\0');
            return credentials;
        }
        auto aws = ParseAwsError(answer->body);
        Error e{ErrorCode::WAREHOUSE,
                aws ? fmt::format("{}: {}: {} (HTTP {})", what, aws->code, Scrubbed(aws->message), answer->status)
                    : fmt::format("{}: HTTP {} without AWS's error answer", what, answer->status),
                kEngine};
        e.transient = IsTransientAwsError(answer->status, aws ? aws->code : "");
        if (e.transient && loop.Again(e, answer->RetryAfter())) continue;
        return std::unexpected(std::move(e));
    }
}

} // namespace kith::warehouse::redshift
