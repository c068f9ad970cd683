#include "deliver/http.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <curl/curl.h>
#include <fmt/format.h>
#include <mutex>
#include <sys/socket.h>

namespace kith::deliver {

namespace {

std::once_flag curl_init;


std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

// One request in flight: its easy handle, header list and the response being filled.
struct Transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpResponse* response = nullptr;
    size_t max_body = 0;
    std::chrono::steady_clock::time_point started;
    const std::vector<outbound::AllowRule>* allow = nullptr;
    std::string refused; //!< why the first address refused was refused
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t bytes = size * n;
    std::string& body = t->response->body;
    if (body.size() < t->max_body) body.append(data, std::min(bytes, t->max_body - body.size()));
    return bytes; // the rest is read and dropped
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t bytes = size * n;
    std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {
        t->response->headers.clear(); // a new response (after 100 Continue): only the last one's headers count
        return bytes;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return bytes;
    t->response->headers.emplace_back(Lower(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1))));
    return bytes;
}

// libcurl's open-socket callback: every connection is opened here, to the address the host name resolved to (each
// one libcurl tries), so an internal address is refused whatever name or notation led to it.
curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(user);
    if (purpose == CURLSOCKTYPE_IPCXN) {
        auto endpoint = outbound::FromSockaddr(&address->addr);
        std::optional<std::string> why = endpoint ? outbound::Refusal(endpoint->first, endpoint->second, *t->allow)
                                                  : std::optional<std::string>("not an IPv4 or IPv6 address");
        if (why) {
            if (t->refused.empty()) t->refused = *why;
            return CURL_SOCKET_BAD;
        }
    }
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// The error of a request whose every address was refused: the address, why, and how to allow it.
std::string RefusedError(const std::string& url, const std::string& why) {
    CURLU* u = curl_url();
    char* host = nullptr;
    std::string name;
    if (u && curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        name = host;
    }
    curl_free(host);
    curl_url_cleanup(u);
    if (name.size() > 2 && name.front() == '[') name = name.substr(1, name.size() - 2);
    bool literal = name.empty() || why.starts_with(name + " ");
    return fmt::format("refused to connect{}: {}; kith sends to internal addresses only when [delivery] allow_hosts "
                       "lists them",
                       literal ? "" : " to " + name, why);
}

} // namespace

const std::string* HttpResponse::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k == name) return &v;
    }
    return nullptr;
}

struct HttpClient::State {
    Options options;
    CURLM* multi = nullptr;
    std::vector<CURL*> idle; // easy handles kept for reuse (they keep no connection; the multi handle does)
};

HttpClient::HttpClient(Options options) : state_(std::make_unique<State>()) {
    std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    state_->options = std::move(options);
    state_->multi = curl_multi_init();
}

HttpClient::~HttpClient() {
    for (CURL* e : state_->idle) curl_easy_cleanup(e);
    if (state_->multi) curl_multi_cleanup(state_->multi);
}

std::vector<HttpResponse> HttpClient::Perform(std::span<const HttpRequest> requests, int concurrency) {
    std::vector<HttpResponse> responses(requests.size());
    if (requests.empty()) return responses;
    if (!state_->multi) {
        for (auto& r : responses) r.error = "cannot start HTTP (curl_multi_init failed)";
        return responses;
    }
    const Options& o = state_->options;
    std::vector<Transfer> transfers(requests.size());
    size_t next = 0;
    int running = 0;

    auto start = [&](size_t i) -> bool {
        const HttpRequest& rq = requests[i];
        Transfer& t = transfers[i];
        t.response = &responses[i];
        t.max_body = o.max_body;
        t.allow = &o.allow_hosts;
        t.started = std::chrono::steady_clock::now();
        CURL* e = nullptr;
        if (!state_->idle.empty()) {
            e = state_->idle.back();
            state_->idle.pop_back();
            curl_easy_reset(e);
        } else {
            e = curl_easy_init();
        }
        if (!e) {
            responses[i].error = "cannot start HTTP (curl_easy_init failed)";
            return false;
        }
        t.easy = e;
        curl_easy_setopt(e, CURLOPT_URL, rq.url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        // Where connections go is checked as they open; a redirect or a proxy would send the request elsewhere.
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_ms));
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(o.connect_timeout_ms, o.timeout_ms)));
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, o.user_agent.c_str());
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
        if (rq.method == "GET") {
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq.body.data());
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(rq.body.size()));
            if (rq.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, rq.method.c_str());
        }
        // No "Expect: 100-continue" round trip before larger bodies.
        t.headers = curl_slist_append(t.headers, "Expect:");
        bool has_type = false;
        for (const auto& [k, v] : rq.headers) {
            if (Lower(k) == "content-type") has_type = true;
            t.headers = curl_slist_append(t.headers, (k + ": " + v).c_str());
        }
        if (!has_type) t.headers = curl_slist_append(t.headers, "Content-Type: application/json");
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
        if (curl_multi_add_handle(state_->multi, e) != CURLM_OK) {
            responses[i].error = "cannot start HTTP (curl_multi_add_handle failed)";
            curl_slist_free_all(t.headers);
            t.headers = nullptr;
            state_->idle.push_back(e);
            t.easy = nullptr;
            return false;
        }
        ++running;
        return true;
    };
    auto fill = [&](size_t limit) {
        while (next < requests.size() && running < static_cast<int>(limit)) start(next++);
    };
    const size_t limit = static_cast<size_t>(std::max(1, concurrency));
    fill(limit);

    while (running > 0) {
        int still = 0;
        curl_multi_perform(state_->multi, &still);
        int queued = 0;
        while (CURLMsg* msg = curl_multi_info_read(state_->multi, &queued)) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL* e = msg->easy_handle;
            Transfer* t = nullptr;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, &t);
            CURLcode code = msg->data.result;
            HttpResponse& r = *t->response;
            r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                  t->started)
                               .count();
            if (code == CURLE_OK) {
                long status = 0;
                curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
                r.status = static_cast<int>(status);
                if (const std::string* ra = r.Header("retry-after")) r.retry_after_ms = ParseRetryAfter(*ra, WallClockMs());
            } else if (!t->refused.empty() && code == CURLE_COULDNT_CONNECT) {
                r.status = 0;
                r.refused = true;
                r.error = RefusedError(requests[t - transfers.data()].url, t->refused);
                r.body.clear();
                r.headers.clear();
            } else {
                r.status = 0;
                r.timed_out = code == CURLE_OPERATION_TIMEDOUT;
                r.error = r.timed_out ? fmt::format("no response within {} ms", o.timeout_ms)
                                      : std::string(curl_easy_strerror(code));
                r.body.clear();
                r.headers.clear();
            }
            curl_multi_remove_handle(state_->multi, e);
            curl_slist_free_all(t->headers);
            t->headers = nullptr;
            t->easy = nullptr;
            state_->idle.push_back(e);
            --running;
        }
        fill(limit);
        if (running > 0) curl_multi_poll(state_->multi, nullptr, 0, 100, nullptr);
    }
    return responses;
}

int64_t WallClockMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool RetryableStatus(int status) {
    return status == 408 || status == 423 || status == 429 || (status >= 500 && status <= 599 && status != 501);
}

std::string BodyExcerpt(std::string_view body, size_t max) {
    std::string out;
    size_t n = std::min(body.size(), max);
    out.reserve(n + 3);
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(body[i]);
        out.push_back(c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c));
    }
    // Do not cut a UTF-8 sequence in two.
    if (body.size() > max) {
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
        if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
        out += "...";
    }
    return std::string(Trim(out));
}

Outcome ClassifyResponse(const HttpResponse& r) {
    if (r.status == 0) return Outcome::Retry(r.error.empty() ? "no response" : r.error);
    if (r.status >= 200 && r.status <= 299) return Outcome::Delivered(r.status);
    std::string excerpt = BodyExcerpt(r.body);
    if (excerpt.empty()) excerpt = "(empty body)";
    if (RetryableStatus(r.status)) return Outcome::Retry(excerpt, r.status, r.retry_after_ms);
    return Outcome::Failed(excerpt, r.status);
}

std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_ms) {
    value = Trim(value);
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) return std::nullopt; // over 30 years: not a usable delay
        return static_cast<int64_t>(std::stoll(std::string(value))) * 1000;
    }
    time_t at = curl_getdate(std::string(value).c_str(), nullptr);
    if (at < 0) return std::nullopt;
    return std::max<int64_t>(0, static_cast<int64_t>(at) * 1000 - now_ms);
}

} // namespace kith::deliver
