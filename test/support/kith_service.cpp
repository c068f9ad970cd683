#include "support/kith_service.hpp"

#include "common/text.hpp"
#include "support/process.hpp"

#include <httplib.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <sys/wait.h>
#include <thread>

namespace kith::test {

namespace fs = std::filesystem;

std::unique_ptr<KithService> KithService::Start(const fs::path& config, const fs::path& log_dir, std::string* error,
                                                bool healthy) {
    std::unique_ptr<KithService> s(new KithService());
    s->log_dir_ = log_dir;
    fs::create_directories(log_dir);
    s->pid_ = Spawn({KithBinary(), "serve", "--config", config.string(), "--listen", "127.0.0.1:0"},
                    log_dir / "serve.out", log_dir / "serve.err");
    if (s->pid_ < 0) {
        if (error) *error = "cannot start kith serve";
        return nullptr;
    }
    static const std::regex started(R"re("listen":"127\.0\.0\.1:(\d+)")re");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(s->pid_, &status, WNOHANG) == s->pid_) {
            s->pid_ = -1;
            if (error) *error = "kith serve exited: " + s->Log();
            return nullptr;
        }
        std::smatch m;
        std::string log = s->Log();
        if (s->port_ == 0 && std::regex_search(log, m, started)) s->port_ = std::stoi(m[1].str());
        if (s->port_ != 0) {
            httplib::Client cli("127.0.0.1", s->port_);
            auto r = cli.Get("/healthz");
            if (r && (r->status == 200 || !healthy)) return s;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (error) *error = "kith serve did not become healthy in 60 s: " + s->Log();
    return nullptr;
}

KithService::~KithService() { Stop(); }

std::string KithService::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

int KithService::Stop(int timeout_s) {
    if (pid_ < 0) return 0;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            Exit e = Decode(status);
            return e.signaled ? -1 : e.code;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid_, SIGKILL);
    Wait(pid_);
    pid_ = -1;
    return -1;
}

std::string KithService::Log() const { return text::ReadFile((log_dir_ / "serve.err").string()).value_or(""); }

ApiClient::ApiClient(int port) : port_(port) {}

void ApiClient::UseToken(const std::string& token) {
    Anonymous();
    token_ = token;
}

void ApiClient::Anonymous() {
    cookie_.clear();
    csrf_.clear();
    token_.clear();
}

ApiClient::Response ApiClient::Login(const std::string& email, const std::string& password) {
    Anonymous();
    Response r = Post("/api/v1/auth/login", {{"email", email}, {"password", password}});
    if (r.status == 200) {
        std::string set = r.headers["set-cookie"];
        cookie_ = set.substr(0, set.find(';'));
        csrf_ = r.json.value("csrf_token", "");
    }
    return r;
}

ApiClient::Response ApiClient::Get(const std::string& path, const std::map<std::string, std::string>& headers) {
    return Send("GET", path, "", "", headers);
}
ApiClient::Response ApiClient::Post(const std::string& path, const nlohmann::json& body) {
    return Send("POST", path, body.dump());
}
ApiClient::Response ApiClient::Put(const std::string& path, const nlohmann::json& body,
                                   const std::map<std::string, std::string>& headers) {
    return Send("PUT", path, body.dump(), "application/json", headers);
}
ApiClient::Response ApiClient::Delete(const std::string& path, const std::map<std::string, std::string>& headers) {
    return Send("DELETE", path, "", "", headers);
}

ApiClient::Response ApiClient::Send(const std::string& method, const std::string& path, const std::string& body,
                                    const std::string& content_type, const std::map<std::string, std::string>& headers) {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(120, 0);
    httplib::Headers h;
    if (!cookie_.empty()) h.emplace("Cookie", cookie_);
    if (!csrf_.empty()) h.emplace("X-CSRF-Token", csrf_);
    if (!token_.empty()) h.emplace("Authorization", "Bearer " + token_);
    for (const auto& [k, v] : headers) h.emplace(k, v);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = h;
    req.body = body;
    if (!body.empty() || method == "POST" || method == "PUT") req.set_header("Content-Type", content_type);
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    Response out;
    if (!cli.send(req, res, err)) return out;
    out.status = res.status;
    out.text = res.body;
    for (const auto& [k, v] : res.headers) {
        std::string name = k;
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = v;
    }
    out.json = nlohmann::json::parse(res.body, nullptr, false);
    if (out.json.is_discarded()) out.json = nullptr;
    return out;
}

} // namespace kith::test
