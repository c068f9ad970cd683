#include "deliver/http.hpp"

#include "support/http_server.hpp"

#include <gtest/gtest.h>
#include <set>

namespace kith::deliver {
namespace {

using test::HttpServer;
using test::ResetServer;

HttpRequest Post(const std::string& url, std::string body) {
    HttpRequest r;
    r.url = url;
    r.body = std::move(body);
    return r;
}

// The allow rules that open the test servers' addresses ("127.0.0.1:PORT" of each http://127.0.0.1:PORT URL).
std::vector<outbound::AllowRule> Allow(std::initializer_list<std::string> urls) {
    std::vector<outbound::AllowRule> rules;
    for (const auto& url : urls) {
        std::string authority = url.substr(url.find("://") + 3);
        auto rule = outbound::ParseAllowRule(authority.substr(0, authority.find('/')));
        EXPECT_TRUE(rule) << url;
        if (rule) rules.push_back(*rule);
    }
    return rules;
}

TEST(HttpClient, SendsRequestsConcurrentlyOverReusedConnections) {
    HttpServer server([](const HttpServer::Request& r) {
        return HttpServer::Reply{201, "{\"got\":" + std::to_string(r.body.size()) + "}", {{"X-Seen", r.path}}, 40, false};
    });
    HttpClient client({.timeout_ms = 5000, .allow_hosts = Allow({server.url()})});
    std::vector<HttpRequest> requests;
    for (int i = 0; i < 8; ++i) {
        HttpRequest r = Post(server.url() + "/in/" + std::to_string(i), std::string(static_cast<size_t>(i) * 1000, 'x'));
        r.headers = {{"Authorization", "Bearer k"}};
        requests.push_back(r);
    }
    auto start = std::chrono::steady_clock::now();
    auto responses = client.Perform(requests, 4);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    ASSERT_EQ(responses.size(), 8u);
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(responses[i].status, 201) << responses[i].error;
        EXPECT_EQ(responses[i].body, "{\"got\":" + std::to_string(i * 1000) + "}");
        ASSERT_NE(responses[i].Header("x-seen"), nullptr);
        EXPECT_EQ(*responses[i].Header("x-seen"), "/in/" + std::to_string(i));
    }
    // 8 requests of 40 ms, 4 at a time: two rounds, not eight.
    EXPECT_LT(elapsed.count(), 8 * 40);
    auto seen = server.Requests();
    ASSERT_EQ(seen.size(), 8u);
    std::set<std::string> paths;
    for (const auto& r : seen) {
        paths.insert(r.path);
        EXPECT_EQ(r.method, "POST");
        EXPECT_EQ(r.headers.at("authorization"), "Bearer k");
        EXPECT_EQ(r.headers.at("content-type"), "application/json");
        EXPECT_FALSE(r.headers.contains("expect")); // no 100-continue round trip
    }
    EXPECT_EQ(paths.size(), 8u);
    // A second call on the same client works as well (its connections were kept).
    auto again = client.Perform(std::span(requests).first(2), 2);
    EXPECT_EQ(again[0].status, 201);
    EXPECT_EQ(again[1].status, 201);
}

TEST(HttpClient, ReportsTimeoutsRefusalsResetsAndDroppedAnswers) {
    HttpServer slow([](const HttpServer::Request&) { return HttpServer::Reply{200, "{}", {}, 600, false}; });
    HttpServer dropped([](const HttpServer::Request&) { return HttpServer::Reply{200, "{}", {}, 0, true}; });
    ResetServer reset;
    HttpClient client(
        {.timeout_ms = 200, .allow_hosts = Allow({slow.url(), dropped.url(), reset.url(), "http://127.0.0.1:9"})});
    std::vector<HttpRequest> requests = {Post(slow.url() + "/", "{}"), Post("http://127.0.0.1:9/", "{}"),
                                         Post(reset.url() + "/", "{}"), Post(dropped.url() + "/", "{}")};
    auto r = client.Perform(requests, 4);
    EXPECT_EQ(r[0].status, 0);
    EXPECT_TRUE(r[0].timed_out);
    EXPECT_EQ(r[0].error, "no response within 200 ms");
    EXPECT_EQ(r[1].status, 0);
    EXPECT_FALSE(r[1].error.empty());
    EXPECT_EQ(r[2].status, 0);
    EXPECT_FALSE(r[2].error.empty());
    EXPECT_GE(reset.connections(), 1);
    EXPECT_EQ(r[3].status, 0) << r[3].body;
    EXPECT_FALSE(r[3].error.empty());
    for (const auto& x : r) EXPECT_EQ(ClassifyResponse(x).kind, Outcome::RETRY) << x.error;
}

TEST(HttpClient, ClassifiesStatusesAsTheSpecSays) {
    auto classify = [](int status, std::string body = "", std::optional<int64_t> ra = std::nullopt) {
        HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        r.retry_after_ms = ra;
        return ClassifyResponse(r);
    };
    for (int s : {200, 201, 202, 204, 207}) EXPECT_EQ(classify(s).kind, Outcome::DELIVERED) << s;
    for (int s : {408, 423, 429, 500, 502, 503, 504, 599}) EXPECT_EQ(classify(s).kind, Outcome::RETRY) << s;
    for (int s : {301, 400, 401, 403, 404, 409, 413, 422, 501}) EXPECT_EQ(classify(s).kind, Outcome::FAILED) << s;
    Outcome limited = classify(429, "{\"message\":\"slow down\"}", 2000);
    EXPECT_EQ(limited.retry_after_ms, 2000);
    EXPECT_EQ(limited.Describe(), "status 429: {\"message\":\"slow down\"}");
    EXPECT_EQ(classify(401, "").Describe(), "status 401: (empty body)");
    EXPECT_EQ(classify(400, std::string(300, 'a')).error, std::string(200, 'a') + "...");
    EXPECT_EQ(BodyExcerpt("line one\nline two"), "line one line two");
    EXPECT_EQ(BodyExcerpt("h\xC3\xA9llo", 2), "h..."); // not cut inside a UTF-8 sequence
}

TEST(HttpClient, ParsesRetryAfterSecondsAndDates) {
    EXPECT_EQ(ParseRetryAfter("120", 0), 120000);
    EXPECT_EQ(ParseRetryAfter(" 0 ", 0), 0);
    // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch.
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 - 5000), 5000);
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 + 5000), 0); // in the past: now
    EXPECT_EQ(ParseRetryAfter("soon", 0), std::nullopt);
    EXPECT_EQ(ParseRetryAfter("", 0), std::nullopt);
    EXPECT_EQ(ParseRetryAfter("99999999999999", 0), std::nullopt);
    EXPECT_EQ(ParseRetryAfter("-5", 0), std::nullopt);
}

TEST(HttpClient, ReadsRetryAfterFromTheAnswer) {
    HttpServer server([](const HttpServer::Request&) {
        return HttpServer::Reply{429, "{}", {{"Retry-After", "7"}}, 0, false};
    });
    HttpClient client({.allow_hosts = Allow({server.url()})});
    auto r = client.Perform(std::vector<HttpRequest>{Post(server.url() + "/x", "{}")});
    EXPECT_EQ(r[0].status, 429);
    EXPECT_EQ(r[0].retry_after_ms, 7000);
    Outcome o = ClassifyResponse(r[0]);
    EXPECT_EQ(o.kind, Outcome::RETRY);
    EXPECT_EQ(o.retry_after_ms, 7000);
}

// Internal addresses are refused where the connection opens, after name resolution, whatever the URL's notation;
// nothing reaches the server, and the error names the address, why, and the allow-list.
TEST(HttpClient, RefusesInternalAddressesUnlessAllowed) {
    HttpServer internal([](const HttpServer::Request&) {
        return HttpServer::Reply{200, "{\"internal\":\"answer\"}", {}, 0, false};
    });
    const std::string port = std::to_string(internal.port());
    HttpClient closed({.timeout_ms = 5000});
    std::vector<HttpRequest> requests = {
        Post(internal.url() + "/x", "{}"),
        Post("http://localhost:" + port + "/x", "{}"),           // a name resolving to loopback
        Post("http://[::ffff:127.0.0.1]:" + port + "/x", "{}"),  // IPv4-mapped
        Post("http://2130706433:" + port + "/x", "{}"),          // 127.0.0.1 as one number
        Post("http://0.0.0.0:" + port + "/x", "{}"),             // reaches the local host on Linux
        Post("http://169.254.169.254/latest/meta-data/", "{}"), // cloud metadata
    };
    auto r = closed.Perform(requests, 2);
    EXPECT_EQ(r[0].error, "refused to connect: 127.0.0.1 port " + port +
                              " is a loopback address; kith sends to internal addresses only when [delivery] "
                              "allow_hosts lists them");
    EXPECT_TRUE(r[1].error.starts_with("refused to connect to localhost: ")) << r[1].error;
    EXPECT_NE(r[1].error.find("loopback"), std::string::npos) << r[1].error;
    EXPECT_NE(r[5].error.find("169.254.169.254 port 80 is a link-local address"), std::string::npos) << r[5].error;
    for (const auto& x : r) {
        EXPECT_TRUE(x.refused) << x.error;
        EXPECT_EQ(x.status, 0);
        EXPECT_TRUE(x.body.empty());
        EXPECT_EQ(ClassifyResponse(x).kind, Outcome::RETRY);
    }
    EXPECT_EQ(internal.RequestCount(), 0u);

    // A rule for another port opens nothing; one for the server's address and port opens it.
    HttpClient other({.timeout_ms = 5000, .allow_hosts = Allow({"http://127.0.0.1:1"})});
    EXPECT_TRUE(other.Perform(std::span(requests).first(1))[0].refused);
    HttpClient allowed({.timeout_ms = 5000, .allow_hosts = Allow({internal.url()})});
    auto ok = allowed.Perform(std::span(requests).first(2), 2);
    EXPECT_EQ(ok[0].status, 200) << ok[0].error;
    EXPECT_EQ(ok[1].status, 200) << ok[1].error; // localhost: its 127.0.0.1 is allowed
    EXPECT_EQ(internal.RequestCount(), 2u);
}

// An allowed server cannot send the request on to an internal one: redirects are not followed.
TEST(HttpClient, DoesNotFollowRedirects) {
    HttpServer internal([](const HttpServer::Request&) {
        return HttpServer::Reply{200, "{\"internal\":\"answer\"}", {}, 0, false};
    });
    HttpServer allowed([&](const HttpServer::Request&) {
        return HttpServer::Reply{302, "", {{"Location", internal.url() + "/latest/meta-data/"}}, 0, false};
    });
    HttpClient client({.timeout_ms = 5000, .allow_hosts = Allow({allowed.url()})});
    auto r = client.Perform(std::vector<HttpRequest>{Post(allowed.url() + "/hook", "{}")});
    EXPECT_EQ(r[0].status, 302);
    EXPECT_EQ(r[0].body.find("internal"), std::string::npos);
    EXPECT_EQ(ClassifyResponse(r[0]).kind, Outcome::FAILED);
    EXPECT_EQ(allowed.RequestCount(), 1u);
    EXPECT_EQ(internal.RequestCount(), 0u);
}

} // namespace
} // namespace kith::deliver
