#include "warehouse/rest/http_client.hpp"

#include "warehouse/retry.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <random>

namespace kith::warehouse::rest {

namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        headers->clear(); // a new response (after a 100 Continue): forget the previous one's headers
        return size * count;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return size * count;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
        value.remove_suffix(1);
    }
    (*headers)[name] = std::string(value);
    return size * count;
}

// Aborts the transfer (CURLE_ABORTED_BY_CALLBACK) once a stop is requested; libcurl calls it about every second
// while idle and more often while data flows, so a low-speed poll interval keeps the wake-up prompt.
int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* stop = static_cast<const std::stop_token*>(user);
    return stop->stop_requested() ? 1 : 0;
}

// Whether a transport failure (no HTTP answer) may pass when tried again.
bool TransientCurlCode(CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

void GlobalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

} // namespace

std::string NewRequestId() {
    static thread_local std::mt19937_64 random{std::random_device{}() ^
                                               static_cast<uint64_t>(
                                                   std::chrono::steady_clock::now().time_since_epoch().count())};
    uint64_t hi = random();
    uint64_t lo = random();
    hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL; // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL; // variant 10
    return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo >> 48,
                       lo & 0xFFFFFFFFFFFFULL);
}

std::string UserAgent() { return "kith/1.0 (warehouse-native audiences; REST)"; }

bool IsTransientStatus(long status) { return status == 429 || status == 502 || status == 503 || status == 504; }

bool IsRefusedStatus(long status) { return status == 429 || status == 503; }

std::optional<std::chrono::milliseconds> HttpResponse::RetryAfter() const {
    auto it = headers.find("retry-after");
    if (it == headers.end()) return std::nullopt;
    return ParseRetryAfter(it->second);
}

HttpClient::HttpClient() : HttpClient(Options{}) {}

HttpClient::HttpClient(Options options) : options_(std::move(options)) { GlobalInit(); }

HttpClient::~HttpClient() {
    if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::expected<HttpResponse, HttpError> HttpClient::Send(const HttpRequest& request, const std::stop_token& stop) {
    auto failure = [&](std::string message, bool transient, bool maybe_received, bool interrupted = false) {
        Error e{ErrorCode::WAREHOUSE, std::move(message), options_.location};
        e.transient = transient;
        return std::unexpected(HttpError{std::move(e), maybe_received, interrupted});
    };
    if (request.method != "GET" && request.method != "POST") {
        return failure("unsupported HTTP method " + request.method, false, false);
    }
    if (stop.stop_requested()) return failure("interrupted", false, false, true);
    if (curl_ == nullptr) {
        curl_ = curl_easy_init();
        if (curl_ == nullptr) return failure("curl_easy_init failed", false, false);
    }
    CURL* curl = static_cast<CURL*>(curl_);
    curl_easy_reset(curl); // keeps the live connections and caches, forgets the previous request's options
    HttpResponse response;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_slist* list = nullptr;
    for (const auto& h : request.headers) list = curl_slist_append(list, h.c_str());
    list = curl_slist_append(list, "Expect:"); // no 100-continue round trip before a body
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, UserAgent().c_str());
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""); // every encoding libcurl decodes (gzip, deflate)
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &AppendHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT,
                     request.timeout_seconds > 0 ? request.timeout_seconds : options_.timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, request.fresh_connection ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stop);
    CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    long request_size = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_size);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, nullptr);
    curl_slist_free_all(list);
    if (code == CURLE_OK) return response;
    // No usable answer. A connection that failed before the request went out cannot have started anything.
    bool sent = request_size > 0 && code != CURLE_COULDNT_CONNECT && code != CURLE_COULDNT_RESOLVE_HOST;
    if (code == CURLE_ABORTED_BY_CALLBACK) return failure("interrupted", false, sent, true);
    std::string message = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
    // The URL names the endpoint and the statement's handle, never a credential.
    std::string url = request.url.substr(0, request.url.find('?'));
    return failure(fmt::format("{} {}: {}", request.method, url, message), TransientCurlCode(code), sent);
}

} // namespace kith::warehouse::rest
