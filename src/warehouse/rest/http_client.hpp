// A small JSON-over-HTTPS client for the warehouses kith reaches through REST APIs (Snowflake's SQL API v2, later
// BigQuery's), over libcurl.
//
//   rest::HttpClient http;
//   rest::HttpRequest req{.method = "POST", .url = base + "/api/v2/statements", .body = json.dump()};
//   req.headers = {"Authorization: Bearer ...", "Content-Type: application/json"};
//   auto answer = http.Send(req, stop);                   // any HTTP status is an answer
//   if (!answer) { answer.error().maybe_received ... }   // no answer: curl's failure, classified
//
// Every request: TLS verified, redirects never followed (a request is never replayed elsewhere with its
// credentials), `Accept-Encoding` of what libcurl can decode (gzip, deflate), the kith User-Agent, a connect and a
// total timeout, and an abort within ~100 ms of a stop request (a progress callback). A client keeps its connection
// alive between requests; a request that must never be sent twice asks for a fresh connection (libcurl silently
// resends a request whose kept-alive connection turns out closed). Headers are never copied into errors, so
// secrets in them stay out of messages and logs.
#pragma once

#include "common/error.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace kith::warehouse::rest {

//! A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx": the request id that makes a statement's
//! submission idempotent (Snowflake's requestId, BigQuery's jobs.query requestId).
std::string NewRequestId();

//! The User-Agent kith sends to REST warehouses.
std::string UserAgent();

//! One HTTP request.
struct HttpRequest {
    std::string method = "GET";       //!< GET or POST
    std::string url;
    std::vector<std::string> headers; //!< "Name: value"
    std::string body;                 //!< POST's body
    bool fresh_connection = false;    //!< open a new connection for it (non-idempotent requests)
    long timeout_seconds = 0;         //!< 0: the client's
};

//! An HTTP answer, whatever its status.
struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers; //!< names in lower case
    std::string body;                           //!< decoded (gzip, deflate)

    //! The Retry-After header parsed (seconds or an HTTP-date), when present.
    std::optional<std::chrono::milliseconds> RetryAfter() const;
};

//! A request that got no answer.
struct HttpError {
    Error error;                 //!< curl's message (never a header); transient when retrying may help
    bool maybe_received = true;  //!< the server may have read (and acted on) the request
    bool interrupted = false;    //!< aborted because a stop was requested
};

//! Whether an HTTP status means the server is busy or briefly unavailable (429, 502, 503, 504).
bool IsTransientStatus(long status);
//! Whether a request answered with this status surely did not run on the server (429 and 503 are answered before a
//! request is taken on; 502 and 504 come from a proxy that may have passed it on).
bool IsRefusedStatus(long status);

//! A libcurl easy handle kept for connection reuse; one request at a time (not thread-safe).
class HttpClient {
public:
    struct Options {
        long connect_timeout_seconds = 30;
        long timeout_seconds = 600;
        std::string location = "http"; //!< the location of errors ("snowflake")
    };
    HttpClient();
    explicit HttpClient(Options options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    //! Sends one request; a stop request aborts it (interrupted). Any HTTP status is an answer.
    std::expected<HttpResponse, HttpError> Send(const HttpRequest& request, const std::stop_token& stop = {});

private:
    Options options_;
    void* curl_ = nullptr; // CURL*
};

} // namespace kith::warehouse::rest
