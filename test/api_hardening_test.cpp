// The service against a hostile client, over real sockets to a running `kith serve`: bodies capped whatever their
// framing (chunked, undeclared, compressed, sent where no route takes one); input that used to end in an unlogged
// 500 (bytes that are not UTF-8 in a body or a query, numbers out of range, deep nesting) answered 4xx with a
// message, every answer with a request id; the hardening headers on pages and API answers; sign-in refused from
// other sites and throttled atomically per email and address without letting strangers lock a user out; API tokens
// ended by a password change; unknown fields refused on /tokens; alerts hidden from users who cannot view audiences.
#include "common/text.hpp"
#include "support/fixture_dir.hpp"
#include "support/kith_service.hpp"
#include "support/run_kith.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <fmt/format.h>
#include <fstream>
#include <future>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kith::test::ApiClient;
using kith::test::KithService;
using Response = ApiClient::Response;

constexpr const char* kOwnerPassword = "owner-password-1";
constexpr size_t kMaxBody = 1 << 20; // the service's default limit

std::string Dump(const Response& r) { return fmt::format("HTTP {} {}", r.status, r.text.substr(0, 600)); }

//! What a raw exchange got back.
struct RawAnswer {
    int status = 0;      //!< 0: no status line (the connection was closed or reset first)
    std::string text;    //!< everything read
    size_t sent = 0;     //!< request bytes the server's side accepted
};

//! Sends a request made of `head` and then the pieces `next_piece` returns (until it returns ""), from another
//! thread, while this one reads the answer until the server closes the connection. `source`: the client's
//! address (any 127.x.y.z reaches the server).
RawAnswer Exchange(int port, const std::string& head, std::function<std::string()> next_piece = {},
                   const std::string& source = "127.0.0.1") {
    RawAnswer a;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
        ::close(fd);
        return a;
    }
    std::atomic<size_t> sent{0};
    std::thread sender([&] {
        auto send_all = [&](const std::string& data) {
            for (size_t off = 0; off < data.size();) {
                ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
                if (n <= 0) return false;
                off += static_cast<size_t>(n);
                sent += static_cast<size_t>(n);
            }
            return true;
        };
        if (!send_all(head) || !next_piece) return;
        for (std::string piece = next_piece(); !piece.empty(); piece = next_piece()) {
            if (!send_all(piece)) return;
        }
    });
    char buf[65536];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) a.text.append(buf, static_cast<size_t>(n));
    ::shutdown(fd, SHUT_RDWR);
    sender.join();
    ::close(fd);
    a.sent = sent;
    if (a.text.starts_with("HTTP/1.1 ")) a.status = std::atoi(a.text.c_str() + 9);
    return a;
}

//! A chunked body: `prefix`, then chunks of filler until `total` bytes, then the end of the JSON and the last chunk.
std::function<std::string()> ChunkedBody(const std::string& prefix, size_t total, const std::string& suffix) {
    auto state = std::make_shared<size_t>(0);
    return [=]() -> std::string {
        size_t& done = *state;
        auto chunk = [](const std::string& data) { return fmt::format("{:x}\r\n{}\r\n", data.size(), data); };
        if (done == 0) {
            done = prefix.size();
            return chunk(prefix);
        }
        if (done < total) {
            std::string filler(std::min<size_t>(65536, total - done), 'a');
            done += filler.size();
            return chunk(filler);
        }
        if (done == total) {
            ++done;
            return chunk(suffix) + "0\r\n\r\n";
        }
        return "";
    };
}

class Hardening : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = kith::test::TestDir("kith_hardening");
        fs::create_directories(root_ / "web");
        std::ofstream(root_ / "web" / "index.html") << "<!doctype html><title>kith</title>";
        std::ofstream(root_ / "web" / "app.js") << "console.log('kith');";
        // Cheap hashes; waits long enough that no attempt in a test slips past one (the count, not the clock, is
        // what the tests check).
        ASSERT_EQ(kith::test::MakeFixtureDir(root_, "[auth]\npassword_memory_mib = 1\npassword_passes = 1\n"
                                                    "free_login_failures = 5\nfree_login_failures_per_address = 8\n"
                                                    "first_login_wait_s = 3600\nmax_login_wait_s = 7200\n"
                                                    // served behind an HTTPS proxy, as the app's address says
                                                    "[alerts]\npublic_url = \"https://kith.example.test\"\n"),
                  "");
        AddUser("owner@x.test", "workspace_owner", kOwnerPassword);
        AddUser("unify@x.test", "unify_read_only", "unify-password-1");
        setenv("KITH_WEB_DIR", (root_ / "web").c_str(), 1);
        std::string error;
        service_ = KithService::Start(root_ / "kith.toml", root_ / "log", &error);
        unsetenv("KITH_WEB_DIR");
        ASSERT_TRUE(service_) << error;
    }

    void TearDown() override {
        if (service_) {
            EXPECT_EQ(service_->Stop(), 0) << service_->Log();
        }
        fs::remove_all(root_);
    }

    void AddUser(const std::string& email, const std::string& role, const std::string& password) {
        std::ofstream(root_ / "pw") << password << "\n";
        auto added = kith::test::RunKith(fmt::format("users add --config {} --email {} --role {} --password-stdin < {}",
                                                     (root_ / "kith.toml").string(), email, role,
                                                     (root_ / "pw").string()));
        ASSERT_EQ(added.code, 0) << added.err;
    }

    std::unique_ptr<ApiClient> SignedIn(const std::string& email, const std::string& password) {
        auto c = std::make_unique<ApiClient>(service_->port());
        auto r = c->Login(email, password);
        EXPECT_EQ(r.status, 200) << Dump(r);
        return c;
    }

    //! The service's log lines (JSON) for a path, in order.
    std::vector<json> LogLines(const std::string& path) {
        std::vector<json> lines;
        std::istringstream log(service_->Log());
        for (std::string line; std::getline(log, line);) {
            json j = json::parse(line, nullptr, false);
            if (!j.is_discarded() && j.is_object() && j.value("path", "") == path) lines.push_back(j);
        }
        return lines;
    }

    std::string LoginHead(const std::string& extra_headers) {
        return fmt::format("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{}\r\n", service_->port(),
                           extra_headers);
    }

    fs::path root_;
    std::unique_ptr<KithService> service_;
};

TEST_F(Hardening, AChunkedBodyIsCappedBeforeItIsRead) {
    // 64 MiB of password, chunked: refused once a little more than the limit is in, and neither hashed nor read on.
    constexpr size_t kHuge = 64u << 20;
    auto a = Exchange(service_->port(),
                      LoginHead("Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"),
                      ChunkedBody(R"({"email": "owner@x.test", "password": ")", kHuge, R"("})"));
    EXPECT_TRUE(a.status == 413 || a.status == 0) << a.text.substr(0, 300);
    EXPECT_LT(a.sent, kHuge) << "the server read the whole body";
    auto lines = LogLines("/api/v1/auth/login");
    ASSERT_EQ(lines.size(), 1u) << service_->Log();
    EXPECT_EQ(lines[0]["status"], 413);

    // A chunked body just over the limit is read to its end (and dropped): the client gets its 413.
    auto b = Exchange(service_->port(),
                      LoginHead("Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"),
                      ChunkedBody(R"({"email": "owner@x.test", "password": ")", kMaxBody + 1000, R"("})"));
    EXPECT_EQ(b.status, 413) << b.text.substr(0, 300);
    EXPECT_NE(b.text.find("\"too_large\""), std::string::npos) << b.text;

    // A declared length over the limit: refused before any of it is read.
    auto c = Exchange(service_->port(), LoginHead(fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n",
                                                              kHuge)));
    EXPECT_EQ(c.status, 413) << c.text.substr(0, 300);

    // Chunked where no route takes a body: 404 without reading it.
    auto d = Exchange(service_->port(),
                      fmt::format("POST /api/v1/nothing-here HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n"),
                      ChunkedBody("[\"", kHuge, "\"]"));
    EXPECT_TRUE(d.status == 404 || d.status == 0) << d.text.substr(0, 300);
    EXPECT_LT(d.sent, kHuge);
    ASSERT_EQ(LogLines("/api/v1/nothing-here").size(), 1u);
    EXPECT_EQ(LogLines("/api/v1/nothing-here")[0]["status"], 404);

    // No length and not chunked: it would be read until the connection closes. Compressed: the limit would count
    // the compressed bytes. Neither is read.
    EXPECT_EQ(Exchange(service_->port(), LoginHead("Content-Type: application/json\r\nConnection: close\r\n")).status,
              411);
    auto gz = Exchange(service_->port(),
                       LoginHead("Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n"
                                 "Connection: close\r\n") + "abcd");
    EXPECT_EQ(gz.status, 415) << gz.text;
    for (const auto& line : LogLines("/api/v1/auth/login")) EXPECT_NE(line["status"], 401) << line.dump();

    // The service still answers, and the right password still signs in.
    ApiClient owner(service_->port());
    EXPECT_EQ(owner.Login("owner@x.test", kOwnerPassword).status, 200);
}

TEST_F(Hardening, HostileInputIsA4xxWithAMessageAndEveryAnswerHasARequestId) {
    auto owner = SignedIn("owner@x.test", kOwnerPassword);
    ApiClient anonymous(service_->port());
    std::vector<std::pair<std::string, Response>> answers;
    // Bytes that are not UTF-8: in a login email, an audience, an explain request, a query parameter, a path.
    answers.emplace_back("login", anonymous.Send("POST", "/api/v1/auth/login",
                                                 "{\"email\": \"\xff\xfe@x.test\", \"password\": \"x\"}"));
    answers.emplace_back("audience", owner->Send("POST", "/api/v1/audiences",
                                                 "{\"key\": \"a\", \"name\": \"\xc3\x28\", \"definition\": {}}"));
    answers.emplace_back("explain", owner->Send("POST", "/api/v1/explain",
                                                "{\"profile\": \"\xed\xa0\x80\", \"definition\": {}}"));
    answers.emplace_back("query", owner->Get("/api/v1/audiences?q=%FF%FE"));
    answers.emplace_back("query NUL", owner->Get("/api/v1/audiences?q=a%00b"));
    answers.emplace_back("path", owner->Get("/api/v1/audiences/%C0%AF"));
    // A number out of range, and nesting deeper than any definition.
    answers.emplace_back("1e400", owner->Send("POST", "/api/v1/audiences", "{\"key\": 1e400}"));
    answers.emplace_back("deep", owner->Send("POST", "/api/v1/audiences", std::string(100000, '[')));
    // A NUL character in a string, which would end the text in the engine.
    answers.emplace_back("NUL profile", owner->Send("POST", "/api/v1/explain",
                                                    R"({"profile": "a\u0000b", "definition": {}})"));
    // A static file asked for with a NUL before another extension.
    answers.emplace_back("NUL file", anonymous.Get("/index.html%00.js"));
    for (const auto& [what, r] : answers) {
        EXPECT_GE(r.status, 400) << what << ": " << Dump(r);
        EXPECT_LT(r.status, 500) << what << ": " << Dump(r);
        ASSERT_TRUE(r.json.is_object()) << what << ": " << Dump(r);
        EXPECT_FALSE(r.json.value("message", "").empty()) << what;
        EXPECT_EQ(r.json.value("request_id", ""), r.headers.at("x-request-id")) << what;
        EXPECT_EQ(r.headers.at("x-request-id").size(), 16u) << what;
    }
    EXPECT_NE(answers[6].second.json["message"].get<std::string>().find("number"), std::string::npos);
    EXPECT_NE(answers[7].second.json["message"].get<std::string>().find("nested deeper than 64"), std::string::npos);
    EXPECT_EQ(answers[8].second.json["pointer"], "/profile");
    EXPECT_EQ(answers[9].second.headers["content-type"].find("javascript"), std::string::npos);
    // None of it was a 500, in the log or in the metrics; the request ids are in the log.
    std::string log = service_->Log();
    EXPECT_EQ(log.find("\"status\":500"), std::string::npos) << log;
    EXPECT_NE(log.find(answers[0].second.headers["x-request-id"]), std::string::npos);
    auto metrics = anonymous.Get("/metrics");
    EXPECT_EQ(metrics.text.find("status=\"500\""), std::string::npos);
    EXPECT_NE(metrics.text.find("status=\"400\""), std::string::npos);
}

TEST_F(Hardening, PagesAndAnswersCarryTheHardeningHeaders) {
    ApiClient anonymous(service_->port());
    for (const std::string path : {"/", "/audiences/vip", "/app.js", "/api/v1/me", "/healthz", "/api/v1/nothing"}) {
        auto r = anonymous.Get(path);
        EXPECT_NE(r.headers["content-security-policy"].find("frame-ancestors 'none'"), std::string::npos) << path;
        EXPECT_NE(r.headers["content-security-policy"].find("script-src 'self';"), std::string::npos) << path;
        EXPECT_EQ(r.headers["content-security-policy"].find("unsafe-eval"), std::string::npos) << path;
        EXPECT_EQ(r.headers["x-frame-options"], "DENY") << path;
        EXPECT_EQ(r.headers["x-content-type-options"], "nosniff") << path;
        EXPECT_EQ(r.headers["referrer-policy"], "no-referrer") << path;
        EXPECT_FALSE(r.headers["x-request-id"].empty()) << path;
    }
}

// Behind HTTPS (public_url https://), the session cookie is Secure, HttpOnly and SameSite=Strict.
TEST_F(Hardening, TheSessionCookieNeverTravelsInClearBehindHttps) {
    ApiClient c(service_->port());
    auto r = c.Login("owner@x.test", kOwnerPassword);
    ASSERT_EQ(r.status, 200) << Dump(r);
    std::string cookie = r.headers["set-cookie"];
    EXPECT_TRUE(cookie.starts_with("kith_session=")) << cookie;
    for (const char* attribute : {"; Secure", "; HttpOnly", "; SameSite=Strict"}) {
        EXPECT_NE(cookie.find(attribute), std::string::npos) << attribute << " in " << cookie;
    }
}

TEST_F(Hardening, SignInIsRefusedFromAnotherSite) {
    ApiClient c(service_->port());
    std::string body = fmt::format(R"({{"email": "owner@x.test", "password": "{}"}})", kOwnerPassword);
    // A form of another site posts text/plain (no preflight): refused before anything is read as JSON.
    EXPECT_EQ(c.Send("POST", "/api/v1/auth/login", body, "text/plain").status, 415);
    auto other = c.Send("POST", "/api/v1/auth/login", body, "application/json", {{"Origin", "https://evil.example"}});
    EXPECT_EQ(other.status, 403) << Dump(other);
    EXPECT_EQ(c.Send("POST", "/api/v1/auth/login", body, "application/json", {{"Sec-Fetch-Site", "cross-site"}}).status,
              403);
    EXPECT_EQ(c.Send("POST", "/api/v1/auth/login", body, "application/json", {{"Origin", "null"}}).status, 403);
    // The service's own page, and a program (no Origin).
    auto own = c.Send("POST", "/api/v1/auth/login", body, "application/json",
                      {{"Origin", fmt::format("http://127.0.0.1:{}", service_->port())},
                       {"Sec-Fetch-Site", "same-origin"}});
    EXPECT_EQ(own.status, 200) << Dump(own);
    EXPECT_EQ(c.Login("owner@x.test", kOwnerPassword).status, 200);
}

TEST_F(Hardening, LoginAttemptsAreCountedAtomicallyAndStrangersCannotLockAUserOut) {
    // Twelve wrong passwords at once from one address: only the five free ones are checked.
    std::string wrong = R"({"email": "owner@x.test", "password": "wrong-password"})";
    std::vector<std::future<int>> attempts;
    for (int i = 0; i < 12; ++i) {
        attempts.push_back(std::async(std::launch::async, [&] {
            ApiClient c(service_->port());
            return c.Send("POST", "/api/v1/auth/login", wrong).status;
        }));
    }
    int unauthorized = 0, throttled = 0;
    for (auto& f : attempts) {
        int status = f.get();
        unauthorized += status == 401;
        throttled += status == 429;
    }
    EXPECT_EQ(unauthorized, 5);
    EXPECT_EQ(throttled, 7);
    ApiClient here(service_->port());
    EXPECT_EQ(here.Login("owner@x.test", kOwnerPassword).status, 429); // this address waits, even with the right one

    // The user, from another address, is not held up by the stranger's failures.
    std::string right = fmt::format(R"({{"email": "owner@x.test", "password": "{}"}})", kOwnerPassword);
    std::string head = fmt::format("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: "
                                   "application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                                   service_->port(), right.size(), right);
    EXPECT_EQ(Exchange(service_->port(), head, {}, "127.0.0.2").status, 200);

    // One address guessing across many emails waits past its own free failures (8 here: 5 above, 3 more).
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(here.Login(fmt::format("user{}@x.test", i), "wrong-password").status, 401) << i;
    }
    EXPECT_EQ(here.Login("unify@x.test", "unify-password-1").status, 429);
    // The same user from a third address still signs in.
    std::string unify = R"({"email": "unify@x.test", "password": "unify-password-1"})";
    EXPECT_EQ(Exchange(service_->port(),
                       fmt::format("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                                   unify.size(), unify),
                       {}, "127.0.0.3")
                  .status,
              200);
}

TEST_F(Hardening, APasswordChangeEndsTheUsersTokens) {
    auto owner = SignedIn("owner@x.test", kOwnerPassword);
    auto users = owner->Get("/api/v1/users");
    ASSERT_EQ(users.status, 200);
    int64_t unify_id = 0;
    for (const auto& u : users.json["items"]) {
        if (u["email"] == "unify@x.test") unify_id = u["id"];
    }
    ASSERT_GT(unify_id, 0);
    auto unify = SignedIn("unify@x.test", "unify-password-1");
    auto made = unify->Post("/api/v1/tokens", {{"name", "script"}});
    ASSERT_EQ(made.status, 201) << Dump(made);
    ApiClient script(service_->port());
    script.UseToken(made.json["token"]);
    EXPECT_EQ(script.Get("/api/v1/me").status, 200);
    // A field /tokens does not know is refused, as on every other route.
    auto unknown = unify->Post("/api/v1/tokens", {{"name", "x"}, {"expires", "never"}});
    EXPECT_EQ(unknown.status, 422) << Dump(unknown);
    EXPECT_EQ(unknown.json["pointer"], "/expires");

    auto changed = owner->Put(fmt::format("/api/v1/users/{}", unify_id), {{"password", "another-password-2"}});
    ASSERT_EQ(changed.status, 200) << Dump(changed);
    EXPECT_EQ(script.Get("/api/v1/me").status, 401);
    EXPECT_EQ(unify->Get("/api/v1/me").status, 401);
}

TEST_F(Hardening, AlertsDoNotTellAUserWithoutViewWhichAudiencesExist) {
    auto unify = SignedIn("unify@x.test", "unify-password-1");
    json alert = {{"kind", "audience_size"}, {"target", "vip"}, {"threshold_pct", 10},
                  {"channels", json::array({{{"type", "in_app"}}})}};
    auto made = unify->Post("/api/v1/alerts", alert);
    EXPECT_EQ(made.status, 403) << Dump(made);
    alert["target"] = "no_such_audience";
    auto other = unify->Post("/api/v1/alerts", alert);
    EXPECT_EQ(other.status, 403) << Dump(other);
    EXPECT_EQ(made.json["message"], other.json["message"]);
    EXPECT_EQ(unify->Get("/api/v1/alerts").status, 403);
}

TEST_F(Hardening, NamesThatDoNotExistAreRefusedBeforeTheWarehouse) {
    auto owner = SignedIn("owner@x.test", kOwnerPassword);
    std::vector<std::pair<std::string, Response>> answers;
    answers.emplace_back("column", owner->Get("/api/v1/suggestions?entity=account&column=NO_SUCH_COLUMN"));
    answers.emplace_back("entity", owner->Get("/api/v1/suggestions?entity=nothing&column=EMAIL"));
    answers.emplace_back("event", owner->Get("/api/v1/suggestions?event=Never%20Happened&property=currency"));
    answers.emplace_back("property", owner->Get("/api/v1/suggestions?event=Order%20Completed&property=no_such"));
    answers.emplace_back("explain", owner->Post("/api/v1/explain",
                                                json::parse(R"({"profile": "p1", "definition": {"groups": [
        {"conditions": [{"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 1},
         "where": {"filters": [{"property": "no_such", "op": "equals", "value": "x"}]}}]}]}})")));
    for (const auto& [what, r] : answers) {
        EXPECT_EQ(r.status, 422) << what << ": " << Dump(r);
        std::string message = r.json.value("message", "");
        EXPECT_TRUE(message.find("NO_SUCH_COLUMN") != std::string::npos || message.find("nothing") != std::string::npos ||
                    message.find("Never Happened") != std::string::npos || message.find("no_such") != std::string::npos)
            << what << ": " << message;
        EXPECT_EQ(r.text.find("SELECT"), std::string::npos) << what;
        EXPECT_EQ(r.text.find("duckdb"), std::string::npos) << what;
    }
}

} // namespace
