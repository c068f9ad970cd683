// Real HTTP servers on 127.0.0.1 for tests: a destination's endpoint that
// records every request and answers through a handler, and can be told to
// fail (a status, a Retry-After, a slow answer past the client's timeout, a
// connection dropped in the middle of the answer, or reset before any answer).
//
//   HttpServer sink([](const HttpServer::Request&) { return HttpServer::Reply{200, "{}"}; });
//   sink.Script({HttpServer::Reply{503}, HttpServer::Reply{429, "", {{"Retry-After", "2"}}}});  // the next two
//   ... deliver to sink.url() + "/in" ...
//   EXPECT_EQ(sink.Requests().size(), 3u);
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace kith::test {

class HttpServer {
public:
    struct Request {
        std::string method;
        std::string path;
        std::map<std::string, std::string> headers; //!< names in lower case
        std::string body;
        int status = 0; //!< what the server answered (0: dropped or reset)
    };
    struct Reply {
        int status = 200;
        std::string body = "{}";
        std::vector<std::pair<std::string, std::string>> headers;
        int64_t delay_ms = 0; //!< wait this long before answering (past the client's timeout: a timeout)
        bool drop = false;    //!< send the status line and headers, then close the connection mid-body
    };
    using Handler = std::function<Reply(const Request&)>;

    //! Starts listening on 127.0.0.1 (a free port) and serving in the background.
    explicit HttpServer(Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    //! http://127.0.0.1:PORT
    std::string url() const;
    int port() const { return port_; }

    //! Replies used, in order, for the next requests instead of the handler's.
    void Script(std::vector<Reply> replies);
    void SetHandler(Handler handler);
    //! Whether requests are kept for Requests() (on by default; benchmarks turn it off to keep memory flat).
    void SetRecording(bool on);
    //! Every request received so far, in arrival order.
    std::vector<Request> Requests() const;
    size_t RequestCount() const;
    void Clear();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int port_ = 0;
};

//! A TCP server on 127.0.0.1 that reads each request and resets the connection (RST) without answering.
class ResetServer {
public:
    ResetServer();
    ~ResetServer();
    ResetServer(const ResetServer&) = delete;
    ResetServer& operator=(const ResetServer&) = delete;
    std::string url() const;
    int connections() const { return connections_.load(); }

private:
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0};
    std::thread thread_;
};

} // namespace kith::test
