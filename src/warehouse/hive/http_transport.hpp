// Thrift over HTTP(S) with libcurl, as Databricks SQL warehouses and Spark's Thrift server in HTTP mode take it:
// each Thrift message is one POST (Content-Type: application/x-thrift) whose answer body is the reply.
//
//   HttpTransport::Options options;
//   options.url = "https://HOST/sql/1.0/warehouses/ID";
//   options.authorization = [] { return Result<std::string>("Bearer " + token); };
//   auto http = std::make_shared<hive::HttpTransport>(options);
//   TCLIServiceClient client(std::make_shared<TBinaryProtocol>(http));
//
// Thrift 0.17's THttpClient can neither set headers nor speak TLS, hence this transport. HTTPS certificates are
// verified. A failed request throws HttpFailure (a TTransportException) saying what happened, whether retrying
// can help and whether the request may have reached the server; the driver turns it into an Error at its edge.
#pragma once

#include "common/error.hpp"

#include <thrift/transport/TTransportException.h>
#include <thrift/transport/TVirtualTransport.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace kith::warehouse::hive {

//! The User-Agent kith sends to warehouses.
std::string UserAgent();

//! A failed HTTP exchange.
class HttpFailure : public apache::thrift::transport::TTransportException {
public:
    HttpFailure(std::string message, int status, bool transient, bool maybe_received)
        : TTransportException(TTransportException::UNKNOWN, message), status(status), transient(transient),
          maybe_received(maybe_received) {}
    int status = 0;                                      //!< the HTTP status, 0 when no answer came
    bool transient = false;                              //!< retrying later may succeed
    bool maybe_received = true;                          //!< the server may have read (and acted on) the request
    std::optional<std::chrono::milliseconds> retry_after; //!< the server's Retry-After
};

//! A plain HTTP answer.
struct HttpAnswer {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers; //!< names in lower case
};

//! POSTs body to url with the given headers ("Name: value"); HttpFailure-free: transport problems are errors
//! whose message is curl's (transient for resets, refusals and timeouts). A non-2xx answer is an answer.
Result<HttpAnswer> HttpPost(const std::string& url, const std::vector<std::string>& headers, const std::string& body,
                            long timeout_seconds = 60);

//! Whether an HTTP status means the server is busy or briefly unavailable (429, 502, 503, 504).
bool IsTransientStatus(long status);

//! A Thrift transport that POSTs each flushed message and reads the answer.
class HttpTransport final : public apache::thrift::transport::TVirtualTransport<HttpTransport> {
public:
    struct Options {
        std::string url;
        //! The Authorization header's value ("Bearer ...", "Basic ..."), asked before each request so a token can
        //! be renewed; empty for none. A failure is thrown as an HttpFailure carrying the error.
        std::function<Result<std::string>()> authorization;
        //! Called when the server answers 401 or 403: forgets a cached token; true when a new one may be asked for,
        //! and then the request is sent once more with it (a refusal is answered before anything runs).
        std::function<bool()> unauthorized;
        long connect_timeout_seconds = 30;
        long timeout_seconds = 600;
    };

    explicit HttpTransport(Options options);
    ~HttpTransport() override;
    HttpTransport(const HttpTransport&) = delete;
    HttpTransport& operator=(const HttpTransport&) = delete;

    bool isOpen() const override { return true; }
    void open() override {}
    void close() override;

    uint32_t read(uint8_t* buf, uint32_t len);
    void write(const uint8_t* buf, uint32_t len);
    //! Sends what was written as one POST and keeps the answer for read(); throws HttpFailure.
    void flush() override;
    //! Whether the following requests go over a new connection. libcurl silently sends a request again when a
    //! kept-alive connection turns out closed; for a statement, which must never run twice, the driver asks for a
    //! fresh connection instead.
    void SetFreshConnection(bool fresh) { fresh_connection_ = fresh; }
    //! The longest a request may take from now on (closing a session need not wait ten minutes).
    void SetTimeoutSeconds(long seconds) { options_.timeout_seconds = seconds; }

private:
    Options options_;
    void* curl_ = nullptr; // CURL*, kept for connection reuse
    bool fresh_connection_ = false;
    std::string write_buffer_;
    std::string read_buffer_;
    size_t read_pos_ = 0;
};

} // namespace kith::warehouse::hive
