// A running `kith serve` for tests that drive the API over real HTTP, and a client for it.
//
//   auto service = kith::test::KithService::Start(root / "kith.toml", root / "log");
//   ASSERT_TRUE(service) << ...;
//   kith::test::ApiClient owner(service->port());
//   ASSERT_EQ(owner.Login("owner@x.test", "secret-password").status, 200);
//   auto r = owner.Get("/api/v1/audiences");           // r.status, r.json
//   auto c = owner.Post("/api/v1/audiences", body);    // cookie and X-CSRF-Token sent for it
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

namespace kith::test {

class KithService {
public:
    //! Starts `kith serve --config CONFIG --listen 127.0.0.1:0` with its output in log_dir, and waits (up to 60 s)
    //! until it listens and /healthz answers 200 (any answer when !healthy: a service whose warehouse refuses it
    //! answers 503). nullptr and *error on failure (with the server's stderr).
    static std::unique_ptr<KithService> Start(const std::filesystem::path& config, const std::filesystem::path& log_dir,
                                              std::string* error, bool healthy = true);
    //! Sends SIGTERM and waits.
    ~KithService();
    KithService(const KithService&) = delete;
    KithService& operator=(const KithService&) = delete;

    int port() const { return port_; }
    std::string url() const;
    pid_t pid() const { return pid_; }
    //! SIGTERM, then waits up to timeout_s: the exit code, or -1 when it had to be killed.
    int Stop(int timeout_s = 30);
    //! The server's stderr so far (structured log lines).
    std::string Log() const;

private:
    KithService() = default;
    pid_t pid_ = -1;
    int port_ = 0;
    std::filesystem::path log_dir_;
};

//! An HTTP client of the API: keeps the session cookie and CSRF token of its login, or sends an API token.
class ApiClient {
public:
    struct Response {
        int status = 0; //!< 0: no answer (connection failed)
        std::string text;
        nlohmann::json json; //!< the parsed body (discarded when not JSON)
        std::map<std::string, std::string> headers; //!< names in lower case
    };

    explicit ApiClient(int port);

    //! POST /api/v1/auth/login; on 200 keeps the cookie and the CSRF token for the next requests.
    Response Login(const std::string& email, const std::string& password);
    //! Sends `Authorization: Bearer token` instead of a cookie.
    void UseToken(const std::string& token);
    //! Forgets the cookie, the CSRF token and the API token.
    void Anonymous();
    //! Keeps the cookie but stops sending the CSRF token (to test its check).
    void DropCsrf() { csrf_.clear(); }

    Response Get(const std::string& path, const std::map<std::string, std::string>& headers = {});
    Response Post(const std::string& path, const nlohmann::json& body = nlohmann::json::object());
    Response Put(const std::string& path, const nlohmann::json& body,
                 const std::map<std::string, std::string>& headers = {});
    Response Delete(const std::string& path, const std::map<std::string, std::string>& headers = {});
    //! Any request with a raw body.
    Response Send(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& content_type = "application/json",
                  const std::map<std::string, std::string>& headers = {});

    const std::string& csrf() const { return csrf_; }

private:
    int port_;
    std::string cookie_;
    std::string csrf_;
    std::string token_;
};

} // namespace kith::test
