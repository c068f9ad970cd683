// HTTP for the destinations: libcurl's multi interface, so that one call sends
// several requests at once over reused connections (keep-alive per host), with
// a timeout per request and TLS verification on unless a test turns it off.
//
//   HttpClient client({.timeout_ms = 30'000});
//   std::vector<HttpResponse> answers = client.Perform(requests, /*concurrency=*/4);
//   Outcome o = ClassifyResponse(answers[0]); // delivered / retry (with Retry-After) / failed
//
// A client is used by one thread at a time; it keeps its connections between
// calls, so a destination holds one client for its lifetime.
//
// Internal addresses are refused where libcurl opens each connection (its
// open-socket callback sees the address a name resolved to), unless an allow
// rule ([delivery] allow_hosts) covers them: a request to 127.0.0.1, to a name
// resolving to it, or to 169.254.169.254 gets no connection and an error
// naming the address and why (common/outbound.hpp). Redirects are not
// followed, and proxies from the environment are not used (the check needs the
// connection to be the destination's own).
#pragma once

#include "common/outbound.hpp"
#include "deliver/destination.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::deliver {

struct HttpRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers; //!< besides Content-Type: application/json
    std::string body;
};

struct HttpResponse {
    int status = 0;    //!< the HTTP status; 0 when no response arrived (see error)
    std::string error; //!< the transport error when status is 0 (refused, reset, timed out, TLS, ...)
    bool timed_out = false;
    bool refused = false; //!< no connection was opened: the destination's address is internal and not allowed
    std::string body;                                         //!< the response body (at most max_body bytes kept)
    std::vector<std::pair<std::string, std::string>> headers; //!< names in lower case
    std::optional<int64_t> retry_after_ms; //!< Retry-After (seconds or an HTTP date), from now, when given
    int64_t elapsed_ms = 0;

    //! The first header of that (lower-case) name, or nullptr.
    const std::string* Header(std::string_view name) const;
};

class HttpClient {
public:
    struct Options {
        int64_t timeout_ms = 30000;         //!< a whole request, connecting included
        int64_t connect_timeout_ms = 10000; //!< connecting alone
        bool verify_tls = true;             //!< peer and host verification for https://
        size_t max_body = 64 * 1024;        //!< response bytes kept (the rest is read and dropped)
        std::string user_agent = "kith";
        std::vector<outbound::AllowRule> allow_hosts = {}; //!< internal addresses that may be connected to
    };

    explicit HttpClient(Options options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    //! Sends every request, at most `concurrency` at once, and returns one response per request, in order. Never
    //! throws; a request that could not be sent has status 0 and an error.
    std::vector<HttpResponse> Perform(std::span<const HttpRequest> requests, int concurrency = 1);

private:
    struct State;
    std::unique_ptr<State> state_;
};

//! The wall clock in UTC milliseconds (Retry-After and X-RateLimit-Reset are relative to it).
int64_t WallClockMs();

//! Whether a failure with this HTTP status may succeed later: 408, 423, 429 and 5xx except 501.
bool RetryableStatus(int status);

//! What a whole response means for the events it carried: 2xx delivered; no response, 408, 423, 429 and 5xx
//! (but 501) retried, honouring Retry-After; any other status failed for good, with an excerpt of the body.
Outcome ClassifyResponse(const HttpResponse& response);

//! The first `max` bytes of a body as one line (control characters as spaces, "..." when cut), for error texts.
std::string BodyExcerpt(std::string_view body, size_t max = 200);

//! Parses a Retry-After value: delta seconds, or an HTTP date (then relative to now_ms). nullopt when unusable.
std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_ms);

} // namespace kith::deliver
