#include "alert/channels.hpp"

#include "support/http_server.hpp"
#include "support/smtp_server.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace kith::alert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kT0 = 1'767'261'600'000; // 2026-01-01T10:00:00Z, a Thursday

test::HttpServer::Reply Answer(int status, std::string body) {
    test::HttpServer::Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

fs::path TempDir(const std::string& name) {
    fs::path dir = fs::temp_directory_path() / ("kith_alert_channels_" + std::to_string(getpid()) + "_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

TEST(Email, Rfc5322Date) {
    EXPECT_EQ(Rfc5322Date(kT0), "Thu, 01 Jan 2026 10:00:00 +0000");
    EXPECT_EQ(Rfc5322Date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(Rfc5322Date(951'782'400'000 + 86'399'999), "Tue, 29 Feb 2000 23:59:59 +0000");
}

TEST(Email, TheMessageText) {
    SmtpSettings smtp;
    smtp.from = "Kith <alerts@example.com>";
    Message m{"Size alert\r\nBcc: evil@x", "line one\nline two"};
    std::string text = EmailText(smtp, {"a@x", "b@y"}, m, kT0, "<id@example.com>");
    EXPECT_EQ(text, "Date: Thu, 01 Jan 2026 10:00:00 +0000\r\n"
                    "From: Kith <alerts@example.com>\r\n"
                    "To: a@x, b@y\r\n"
                    "Subject: Size alert  Bcc: evil@x\r\n"
                    "Message-ID: <id@example.com>\r\n"
                    "MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=UTF-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n"
                    "\r\n"
                    "line one\r\n"
                    "line two\r\n");
    // A subject that is not ASCII is an RFC 2047 encoded word.
    std::string utf8 = EmailText(smtp, {"a@x"}, Message{"Größe", ""}, kT0, "<i@x>");
    EXPECT_NE(utf8.find("Subject: =?UTF-8?B?R3LDtsOfZQ==?=\r\n"), std::string::npos) << utf8;
}

TEST(Email, ArrivesAtARealSmtpServer) {
    fs::path dir = TempDir("smtp");
    {
        test::SmtpServer server(dir);
        ASSERT_TRUE(server.ok()) << server.error();
        SmtpSettings smtp;
        smtp.url = server.url();
        smtp.from = "kith@example.com";
        auto sent = SendEmail(smtp, {"ops@example.com", "a@x"}, Message{"Audience size alert", "150 members\n.\nend"},
                              kT0);
        ASSERT_TRUE(sent) << sent.error().ToString();
        auto mails = server.Messages(1);
        ASSERT_EQ(mails.size(), 1u);
        const auto& mail = mails[0];
        EXPECT_EQ(mail.Header("subject"), "Audience size alert");
        EXPECT_EQ(mail.Header("to"), "ops@example.com, a@x");
        EXPECT_EQ(mail.Header("from"), "kith@example.com");
        EXPECT_EQ(mail.Header("date"), "Thu, 01 Jan 2026 10:00:00 +0000");
        EXPECT_TRUE(mail.Header("message-id").starts_with("<kith.1767261600000.")) << mail.Header("message-id");
        EXPECT_TRUE(mail.Header("message-id").ends_with("@example.com>")) << mail.Header("message-id");
        // The envelope, as the server's Mailbox handler records it.
        EXPECT_EQ(mail.Header("x-mailfrom"), "kith@example.com");
        EXPECT_EQ(mail.Header("x-rcptto"), "ops@example.com, a@x");
        // A line of one dot does not end the message early.
        EXPECT_EQ(mail.body, "150 members\n.\nend\n");
    }
    fs::remove_all(dir);
}

TEST(Email, FailuresAreErrors) {
    SmtpSettings none;
    auto unconfigured = SendEmail(none, {"a@x"}, Message{"s", "t"}, kT0);
    ASSERT_FALSE(unconfigured);
    EXPECT_EQ(unconfigured.error().message, "email is not configured ([alerts] smtp_url)");
    // Nothing listens on the port of a server that has gone.
    int port = 0;
    {
        fs::path dir = TempDir("gone");
        test::SmtpServer server(dir);
        ASSERT_TRUE(server.ok()) << server.error();
        port = server.port();
    }
    SmtpSettings gone;
    gone.url = "smtp://127.0.0.1:" + std::to_string(port);
    gone.timeout_ms = 5000;
    auto refused = SendEmail(gone, {"a@x"}, Message{"s", "t"}, kT0);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::IO);
    EXPECT_NE(refused.error().message.find(gone.url), std::string::npos) << refused.error().message;
    fs::remove_all(TempDir("gone"));
}

TEST(Slack, PostsTheTextAsJson) {
    test::HttpServer slack([](const test::HttpServer::Request&) { return Answer(200, "ok"); });
    Channels channels;
    channels.allow_hosts = {*outbound::ParseAllowRule("127.0.0.1:" + std::to_string(slack.port()))};
    ASSERT_TRUE(SendSlack(slack.url() + "/services/T0/B0/xyz", Message{"Size alert", "150 members"}, channels));
    auto requests = slack.Requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].path, "/services/T0/B0/xyz");
    EXPECT_EQ(requests[0].headers["content-type"], "application/json");
    EXPECT_EQ(json::parse(requests[0].body), (json{{"text", "*Size alert*\n150 members"}}));

    slack.Script({Answer(500, "internal_error")});
    auto failed = SendSlack(slack.url() + "/services/T0/B0/xyz", Message{"s", "t"}, channels);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message, "Slack webhook " + slack.url() + " answered 500: internal_error");
    EXPECT_EQ(failed.error().message.find("xyz"), std::string::npos); // the secret path is not in errors
}

// A Slack webhook at an internal address is refused unless [delivery] allow_hosts lists it, and plain http:// only
// goes to an address it lists.
TEST(Slack, RefusesInternalAddressesAndPlainHttpUnlessAllowed) {
    test::HttpServer slack([](const test::HttpServer::Request&) { return Answer(200, "{\"internal\":\"answer\"}"); });
    Channels channels;
    auto internal = SendSlack(slack.url() + "/services/T0/B0/xyz", Message{"s", "t"}, channels);
    ASSERT_FALSE(internal);
    EXPECT_EQ(internal.error().message, "Slack webhook " + slack.url() +
                                            ": must be an https:// address (http:// only to an address [delivery] "
                                            "allow_hosts lists)");
    // https:// to an internal address is refused where it connects (nothing listens for TLS there anyway).
    std::string https = "https://127.0.0.1:" + std::to_string(slack.port());
    auto tls = SendSlack(https + "/services/T0/B0/xyz", Message{"s", "t"}, channels);
    ASSERT_FALSE(tls);
    EXPECT_NE(tls.error().message.find("is a loopback address"), std::string::npos) << tls.error().message;
    EXPECT_EQ(tls.error().message.find("xyz"), std::string::npos);
    auto named = SendSlack("https://localhost:" + std::to_string(slack.port()) + "/services/T0", Message{"s", "t"},
                           channels);
    ASSERT_FALSE(named);
    EXPECT_NE(named.error().message.find("refused to connect to localhost"), std::string::npos)
        << named.error().message;
    EXPECT_EQ(slack.RequestCount(), 0u);

    channels.allow_hosts = {*outbound::ParseAllowRule("127.0.0.1:" + std::to_string(slack.port()))};
    EXPECT_TRUE(SendSlack(slack.url() + "/services/T0/B0/xyz", Message{"s", "t"}, channels));
    EXPECT_EQ(slack.RequestCount(), 1u);
}

} // namespace
} // namespace kith::alert
