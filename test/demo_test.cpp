// `kith demo` as a newcomer starts it: the first start generates the warehouse, the owner, the sample audiences and
// the webhook activation to kith's own sink, and runs the samples, so that runs, events and the delivery overview
// show up within a minute; a second start reuses all of it.
#include "common/text.hpp"
#include "support/kith_service.hpp"
#include "support/process.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <regex>
#include <set>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kith::test::ApiClient;

// A port nothing listens on right now.
int FreePort() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
    close(s);
    return ntohs(a.sin_port);
}

struct Demo {
    pid_t pid = -1;
    std::string out;
    std::string err;
};

// Starts `kith demo` and waits until it prints how to sign in.
Demo StartDemo(const fs::path& dir, const fs::path& logs, int port, const std::string& tag) {
    Demo d;
    fs::create_directories(logs);
    fs::path out = logs / (tag + ".out"), err = logs / (tag + ".err");
    d.pid = kith::test::Spawn({kith::test::KithBinary(), "demo", "--dir", dir.string(), "--port", std::to_string(port),
                               "--profiles", "800"},
                              out, err);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
        d.out = kith::text::ReadFile(out.string()).value_or("");
        d.err = kith::text::ReadFile(err.string()).value_or("");
        if (d.out.find("password:") != std::string::npos) return d;
        int status = 0;
        if (waitpid(d.pid, &status, WNOHANG) == d.pid) {
            d.pid = -1;
            return d;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return d;
}

int StopDemo(Demo& d) {
    if (d.pid < 0) return -1;
    kill(d.pid, SIGTERM);
    auto e = kith::test::Wait(d.pid);
    d.pid = -1;
    return e.signaled ? -1 : e.code;
}

std::string Password(const std::string& out) {
    std::smatch m;
    static const std::regex re(R"(password:\s+(\S+))");
    return std::regex_search(out, m, re) ? m[1].str() : "";
}

// The demo sink's token, as the banner prints it.
std::string SinkToken(const std::string& out) {
    std::smatch m;
    static const std::regex re(R"(Authorization: Bearer (\S+?)\))");
    return std::regex_search(out, m, re) ? m[1].str() : "";
}

TEST(Demo, FirstStartShowsRunsEventsAndTheOverviewThenASecondStartReusesIt) {
    fs::path root = fs::temp_directory_path() / ("kith_demo_test_" + std::to_string(getpid()));
    fs::remove_all(root);
    int port = FreePort();
    Demo first = StartDemo(root / "demo", root / "logs", port, "first");
    ASSERT_GT(first.pid, 0) << first.out << first.err;
    EXPECT_NE(first.err.find("generating a warehouse"), std::string::npos);
    EXPECT_NE(first.out.find("http://127.0.0.1:" + std::to_string(port)), std::string::npos) << first.out;
    std::string password = Password(first.out);
    ASSERT_FALSE(password.empty()) << first.out;

    ApiClient c(port);
    ASSERT_EQ(c.Login("owner@kith.local", password).status, 200);
    auto audiences = c.Get("/api/v1/audiences");
    ASSERT_EQ(audiences.status, 200);
    std::set<std::string> keys;
    for (const auto& a : audiences.json["items"]) keys.insert(a["key"]);
    EXPECT_EQ(keys, (std::set<std::string>{"big_spenders", "premium_abandoners", "premium_brand_carts",
                                           "pro_big_spenders", "pro_plan"}));
    // Every sample runs at once, and the activation's events reach the sink kith serves.
    json total;
    json sink;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        auto list = c.Get("/api/v1/audiences");
        bool all_ran = list.status == 200;
        for (const auto& a : list.json["items"]) {
            all_ran = all_ran && a["last_run"].is_object() && a["last_run"]["status"] == "completed";
        }
        total = c.Get("/api/v1/overview?bucket=none").json["total"];
        sink = c.Get("/api/v1/demo/sink").json;
        ready = all_ran && total.is_object() && total["delivered"].get<int64_t>() > 0 && total["queued"] == 0 &&
                total["pending_retry"] == 0 && sink["events"] == total["delivered"];
    }
    ASSERT_TRUE(ready) << total.dump() << "\n" << sink.dump().substr(0, 500);
    EXPECT_EQ(total["failed"], 0);
    int64_t delivered = total["delivered"];
    // Only the demo's own activation posts to the sink (with the token the demo gave it), and what the sink holds is
    // shown to who may view profiles.
    ApiClient stranger(port);
    auto forged = stranger.Post("/demo/sink", {{"userId", "forged"}});
    EXPECT_EQ(forged.status, 401) << forged.text;
    auto guessed = stranger.Send("POST", "/demo/sink", R"({"userId": "forged"})", "application/json",
                                 {{"Authorization", "Bearer guessed-token"}});
    EXPECT_EQ(guessed.status, 401);
    // The token the banner prints (and DIR/credentials.txt keeps) lets an activation of one's own send to the sink.
    std::string token = SinkToken(first.out);
    ASSERT_EQ(token.size(), 43u) << first.out;
    auto own = stranger.Send("POST", "/demo/sink", R"({"userId": "mine", "event": "Own Test"})", "application/json",
                             {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(own.status / 100, 2) << own.text;
    ASSERT_EQ(c.Post("/api/v1/users", {{"email", "engage@kith.local"}, {"password", "engage-password-1"},
                                       {"roles", {"engage_user"}}})
                  .status,
              201);
    ApiClient engage(port);
    ASSERT_EQ(engage.Login("engage@kith.local", "engage-password-1").status, 200);
    EXPECT_EQ(engage.Get("/api/v1/demo/sink").status, 403);
    EXPECT_EQ(c.Get("/api/v1/demo/sink").json["events"], delivered + 1); // and the event posted above
    EXPECT_EQ(StopDemo(first), 0);

    // The second start generates nothing and shows the same state.
    Demo second = StartDemo(root / "demo", root / "logs", port, "second");
    ASSERT_GT(second.pid, 0) << second.out << second.err;
    EXPECT_NE(second.err.find("reusing the warehouse"), std::string::npos);
    EXPECT_EQ(Password(second.out), password);
    EXPECT_EQ(SinkToken(second.out), token); // the same token: activations sending to the sink keep working
    ApiClient again(port);
    ASSERT_EQ(again.Login("owner@kith.local", password).status, 200);
    EXPECT_EQ(again.Get("/api/v1/overview?bucket=none").json["total"]["delivered"], delivered);
    EXPECT_EQ(again.Get("/api/v1/audiences").json["items"].size(), 5u);
    EXPECT_EQ(StopDemo(second), 0);
    fs::remove_all(root);
}

} // namespace
