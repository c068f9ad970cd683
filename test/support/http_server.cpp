#include "support/http_server.hpp"

#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace kith::test {

struct HttpServer::Impl {
    httplib::Server server;
    std::thread thread;
    mutable std::mutex mu;
    Handler handler;
    std::deque<Reply> script;
    std::vector<Request> requests;
    bool recording = true;
};

HttpServer::HttpServer(Handler handler) : impl_(std::make_unique<Impl>()) {
    impl_->handler = std::move(handler);
    Impl* impl = impl_.get();
    auto serve = [impl](const httplib::Request& in, httplib::Response& out) {
        Request r;
        r.method = in.method;
        r.path = in.path;
        for (const auto& [k, v] : in.headers) {
            std::string name = k;
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[name] = v;
        }
        r.body = in.body;
        Reply reply;
        {
            std::lock_guard lock(impl->mu);
            if (!impl->script.empty()) {
                reply = impl->script.front();
                impl->script.pop_front();
            } else {
                Handler h = impl->handler;
                impl->mu.unlock();
                try {
                    reply = h ? h(r) : Reply{};
                } catch (...) {
                    reply = Reply{500, "handler threw", {}, 0, false};
                }
                impl->mu.lock();
            }
            r.status = reply.drop ? 0 : reply.status;
            if (impl->recording) impl->requests.push_back(std::move(r));
        }
        if (reply.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
        out.status = reply.status;
        for (const auto& [k, v] : reply.headers) out.set_header(k, v);
        if (reply.drop) {
            // Promise a body, then give up after the headers: the client sees the connection close mid-answer.
            out.set_content_provider(
                1000, "application/json", [](size_t, size_t, httplib::DataSink&) { return false; });
            return;
        }
        out.set_content(reply.body, "application/json");
    };
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
        std::string m = method;
        if (m == "GET") impl_->server.Get(".*", serve);
        if (m == "POST") impl_->server.Post(".*", serve);
        if (m == "PUT") impl_->server.Put(".*", serve);
        if (m == "PATCH") impl_->server.Patch(".*", serve);
        if (m == "DELETE") impl_->server.Delete(".*", serve);
    }
    impl_->server.set_payload_max_length(256 * 1024 * 1024);
    // One thread per kept-alive connection: with httplib's default of 8, a 9th connection waits for one to close.
    impl_->server.new_task_queue = [] { return new httplib::ThreadPool(64); };
    impl_->server.set_tcp_nodelay(true); // no Nagle delay between the answer's headers and body
    port_ = impl_->server.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot listen on 127.0.0.1");
    impl_->thread = std::thread([impl] { impl->server.listen_after_bind(); });
    for (int i = 0; i < 500 && !impl_->server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

HttpServer::~HttpServer() {
    impl_->server.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

std::string HttpServer::url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

void HttpServer::Script(std::vector<Reply> replies) {
    std::lock_guard lock(impl_->mu);
    for (auto& r : replies) impl_->script.push_back(std::move(r));
}

void HttpServer::SetRecording(bool on) {
    std::lock_guard lock(impl_->mu);
    impl_->recording = on;
}

void HttpServer::SetHandler(Handler handler) {
    std::lock_guard lock(impl_->mu);
    impl_->handler = std::move(handler);
}

std::vector<HttpServer::Request> HttpServer::Requests() const {
    std::lock_guard lock(impl_->mu);
    return impl_->requests;
}

size_t HttpServer::RequestCount() const {
    std::lock_guard lock(impl_->mu);
    return impl_->requests.size();
}

void HttpServer::Clear() {
    std::lock_guard lock(impl_->mu);
    impl_->requests.clear();
    impl_->script.clear();
}

ResetServer::ResetServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd_);
        throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            ++connections_;
            // Read what the client sends (until the end of the headers or a short while), then reset.
            std::string seen;
            char buf[4096];
            for (int i = 0; i < 20 && seen.find("\r\n\r\n") == std::string::npos; ++i) {
                pollfd q{c, POLLIN, 0};
                if (::poll(&q, 1, 50) <= 0) continue;
                ssize_t n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                seen.append(buf, static_cast<size_t>(n));
            }
            linger l{1, 0};
            ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            ::close(c);
        }
    });
}

ResetServer::~ResetServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
}

std::string ResetServer::url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

} // namespace kith::test
