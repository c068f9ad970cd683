#include "warehouse/hive/http_transport.hpp"

#include "common/text.hpp"
#include "warehouse/retry.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace kith::warehouse::hive {

namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

size_t AppendHeader(char* data, size_t size, size_t count, void* user) {
    std::string_view line(data, size * count);
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
            value.remove_suffix(1);
        }
        (*static_cast<std::map<std::string, std::string>*>(user))[name] = std::string(value);
    } else if (line.starts_with("HTTP/")) {
        // A new response (after a redirect or a 100 Continue): forget the previous one's headers.
        static_cast<std::map<std::string, std::string>*>(user)->clear();
    }
    return size * count;
}

struct Exchange {
    CURLcode code = CURLE_OK;
    std::string curl_message;
    bool request_sent = false;
    HttpAnswer answer;
};

Exchange Perform(CURL* curl, const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                 long connect_timeout, long timeout, bool fresh_connection = false) {
    Exchange ex;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, UserAgent().c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex.answer.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &AppendHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex.answer.headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect_timeout);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // Never follow redirects: a POST must not be replayed elsewhere with its credentials.
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, fresh_connection ? 1L : 0L);
    ex.code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ex.answer.status);
    long request_size = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_size);
    ex.request_sent = request_size > 0;
    if (ex.code != CURLE_OK) ex.curl_message = error_buffer[0] ? error_buffer : curl_easy_strerror(ex.code);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_slist_free_all(list);
    return ex;
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
        return true;
    default:
        return false;
    }
}

using text::Shortened;

} // namespace

std::string UserAgent() { return "kith/1.0 (warehouse-native audiences; HiveServer2 Thrift)"; }

bool IsTransientStatus(long status) { return status == 429 || status == 502 || status == 503 || status == 504; }

Result<HttpAnswer> HttpPost(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                            long timeout_seconds) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return Fail(ErrorCode::INTERNAL, "curl_easy_init failed");
    Exchange ex = Perform(curl, url, headers, body, std::min(30L, timeout_seconds), timeout_seconds);
    curl_easy_cleanup(curl);
    if (ex.code != CURLE_OK) {
        Error e{ErrorCode::WAREHOUSE, fmt::format("POST {}: {}", url, ex.curl_message), ""};
        e.transient = TransientCurlCode(ex.code);
        return std::unexpected(std::move(e));
    }
    return std::move(ex.answer);
}

HttpTransport::HttpTransport(Options options) : options_(std::move(options)) {}

HttpTransport::~HttpTransport() {
    if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

void HttpTransport::close() {
    write_buffer_.clear();
    read_buffer_.clear();
    read_pos_ = 0;
}

uint32_t HttpTransport::read(uint8_t* buf, uint32_t len) {
    uint32_t n = static_cast<uint32_t>(std::min<size_t>(len, read_buffer_.size() - read_pos_));
    std::memcpy(buf, read_buffer_.data() + read_pos_, n);
    read_pos_ += n;
    return n; // 0 at the end of the answer: Thrift reports END_OF_FILE
}

void HttpTransport::write(const uint8_t* buf, uint32_t len) {
    write_buffer_.append(reinterpret_cast<const char*>(buf), len);
}

void HttpTransport::flush() {
    std::string body = std::move(write_buffer_);
    write_buffer_.clear();
    read_buffer_.clear();
    read_pos_ = 0;
    if (curl_ == nullptr) {
        curl_ = curl_easy_init();
        if (curl_ == nullptr) throw HttpFailure("curl_easy_init failed", 0, false, false);
    }
    for (int attempt = 0;; ++attempt) {
        std::vector<std::string> headers = {"Content-Type: application/x-thrift", "Accept: application/x-thrift",
                                            "Expect:"};
        if (options_.authorization) {
            auto auth = options_.authorization();
            if (!auth) throw HttpFailure(auth.error().message, 0, auth.error().transient, false);
            if (!auth->empty()) headers.push_back("Authorization: " + *auth);
        }
        Exchange ex = Perform(static_cast<CURL*>(curl_), options_.url, headers, body, options_.connect_timeout_seconds,
                              options_.timeout_seconds, fresh_connection_);
        if (ex.code != CURLE_OK) {
            // A connection that failed before the request went out cannot have started anything on the server.
            bool received =
                ex.request_sent && ex.code != CURLE_COULDNT_CONNECT && ex.code != CURLE_COULDNT_RESOLVE_HOST;
            throw HttpFailure(ex.curl_message, 0, TransientCurlCode(ex.code), received);
        }
        long status = ex.answer.status;
        if (status == 200) {
            read_buffer_ = std::move(ex.answer.body);
            return;
        }
        // An expired OAuth token: renewed once, and the request sent again (it was refused, so it did not run).
        if ((status == 401 || status == 403) && attempt == 0 && options_.unauthorized && options_.unauthorized()) {
            continue;
        }
        std::string text = Shortened(ex.answer.body);
        std::string message = text.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {}: {}", status, text);
        // 429 and 503 are answered before a request is taken on; 502 and 504 come from a proxy that may have
        // passed it on.
        HttpFailure failure(message, static_cast<int>(status), IsTransientStatus(status),
                            !(status == 429 || status == 503 || status == 401 || status == 403));
        if (auto it = ex.answer.headers.find("retry-after"); it != ex.answer.headers.end()) {
            failure.retry_after = ParseRetryAfter(it->second);
        }
        throw failure;
    }
}

} // namespace kith::warehouse::hive
