#include "common/outbound.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace kith::outbound {
namespace {

std::optional<std::string> InternalOf(const char* text) {
    auto a = ParseAddress(text);
    EXPECT_TRUE(a) << text;
    return a ? Internal(*a) : std::nullopt;
}

std::vector<AllowRule> Rules(std::initializer_list<const char*> texts) {
    std::vector<AllowRule> out;
    for (const char* t : texts) {
        auto r = ParseAllowRule(t);
        EXPECT_TRUE(r) << t << ": " << r.error().message;
        if (r) out.push_back(*r);
    }
    return out;
}

std::optional<std::string> RefusalOf(const char* address, int port, const std::vector<AllowRule>& allow = {}) {
    return Refusal(*ParseAddress(address), port, allow);
}

TEST(Outbound, InternalAddressesOfEveryKind) {
    EXPECT_EQ(InternalOf("127.0.0.1"), "a loopback address");
    EXPECT_EQ(InternalOf("127.255.0.9"), "a loopback address");
    EXPECT_EQ(InternalOf("::1"), "a loopback address");
    EXPECT_EQ(InternalOf("10.1.2.3"), "a private address (RFC 1918)");
    EXPECT_EQ(InternalOf("172.16.0.1"), "a private address (RFC 1918)");
    EXPECT_EQ(InternalOf("172.31.255.255"), "a private address (RFC 1918)");
    EXPECT_EQ(InternalOf("192.168.1.1"), "a private address (RFC 1918)");
    EXPECT_EQ(InternalOf("100.64.0.1"), "a shared address (carrier-grade NAT, 100.64.0.0/10)");
    EXPECT_EQ(InternalOf("100.127.255.254"), "a shared address (carrier-grade NAT, 100.64.0.0/10)");
    EXPECT_NE(InternalOf("169.254.169.254")->find("link-local"), std::string::npos);
    EXPECT_EQ(InternalOf("0.0.0.0"), "an unspecified address (0.0.0.0/8)");
    EXPECT_EQ(InternalOf("::"), "the unspecified address");
    EXPECT_EQ(InternalOf("224.0.0.1"), "a multicast address");
    EXPECT_EQ(InternalOf("ff02::1"), "a multicast address");
    EXPECT_EQ(InternalOf("255.255.255.255"), "the broadcast address");
    EXPECT_EQ(InternalOf("fd12:3456::1"), "a private address (unique local, fc00::/7)");
    EXPECT_EQ(InternalOf("fc00::1"), "a private address (unique local, fc00::/7)");
    EXPECT_EQ(InternalOf("fe80::1"), "a link-local address (fe80::/10)");
    EXPECT_EQ(InternalOf("fec0::1"), "a site-local address (fec0::/10)");
    // IPv4 carried in IPv6 is judged as the IPv4 address.
    EXPECT_EQ(InternalOf("::ffff:127.0.0.1"), "an IPv4-mapped loopback address");
    EXPECT_NE(InternalOf("::ffff:169.254.169.254")->find("IPv4-mapped link-local"), std::string::npos);
    EXPECT_EQ(InternalOf("::ffff:10.0.0.1"), "an IPv4-mapped private address (RFC 1918)");
    EXPECT_EQ(InternalOf("64:ff9b::7f00:1"), "a NAT64 loopback address");
    EXPECT_EQ(InternalOf("::127.0.0.1"), "an IPv4-compatible loopback address");
    // Public addresses are not internal.
    for (const char* pub : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2001:4860::8888",
                            "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
        EXPECT_EQ(InternalOf(pub), std::nullopt) << pub;
    }
}

TEST(Outbound, ParsesAddressesButNotNames) {
    EXPECT_EQ(ToString(*ParseAddress("[::1]")), "::1");
    EXPECT_EQ(ToString(*ParseAddress("::ffff:127.0.0.1")), "::ffff:127.0.0.1");
    EXPECT_FALSE(ParseAddress("localhost"));
    EXPECT_FALSE(ParseAddress("127.1"));
    EXPECT_FALSE(ParseAddress(""));
    EXPECT_FALSE(ParseAddress("127.0.0.1:80"));
}

TEST(Outbound, RefusesInternalAddressesUnlessARuleCoversThem) {
    EXPECT_EQ(RefusalOf("127.0.0.1", 8099), "127.0.0.1 port 8099 is a loopback address");
    EXPECT_EQ(RefusalOf("8.8.8.8", 443), std::nullopt);
    auto allow = Rules({"127.0.0.1:8099", "10.0.0.0/8", "[::1]:9000", "fd00::/16", "192.168.1.0/24:443"});
    EXPECT_EQ(RefusalOf("127.0.0.1", 8099, allow), std::nullopt);
    EXPECT_EQ(RefusalOf("::ffff:127.0.0.1", 8099, allow), std::nullopt); // the mapped form of an allowed address
    EXPECT_EQ(RefusalOf("127.0.0.1", 8080, allow), "127.0.0.1 port 8080 is a loopback address"); // another port
    EXPECT_EQ(RefusalOf("127.0.0.2", 8099, allow), "127.0.0.2 port 8099 is a loopback address");
    EXPECT_EQ(RefusalOf("10.200.3.4", 80, allow), std::nullopt);
    EXPECT_EQ(RefusalOf("::1", 9000, allow), std::nullopt);
    EXPECT_TRUE(RefusalOf("::1", 9001, allow));
    EXPECT_EQ(RefusalOf("fd00::5", 1, allow), std::nullopt);
    EXPECT_TRUE(RefusalOf("fd01::5", 1, allow));
    EXPECT_EQ(RefusalOf("192.168.1.7", 443, allow), std::nullopt);
    EXPECT_TRUE(RefusalOf("192.168.1.7", 80, allow));
    EXPECT_TRUE(RefusalOf("169.254.169.254", 80, allow));
    // An IPv4 rule does not open NAT64 or IPv4-compatible forms, only the mapped one.
    EXPECT_TRUE(RefusalOf("64:ff9b::7f00:1", 8099, allow));
}

TEST(Outbound, AllowRulesAreAddressesOrNetworksWithAnOptionalPort) {
    auto one = ParseAllowRule("127.0.0.1:8099");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->prefix, 32);
    EXPECT_EQ(one->port, 8099);
    EXPECT_EQ(one->text, "127.0.0.1:8099");
    auto net6 = ParseAllowRule("[fd00::/8]:443");
    ASSERT_TRUE(net6);
    EXPECT_EQ(net6->prefix, 8);
    EXPECT_EQ(net6->port, 443);
    EXPECT_EQ(ParseAllowRule("::1")->prefix, 128);
    EXPECT_EQ(ParseAllowRule("10.0.0.0/8:443")->port, 443);

    auto name = ParseAllowRule("localhost:8099");
    ASSERT_FALSE(name);
    EXPECT_NE(name.error().message.find("host names are not accepted"), std::string::npos) << name.error().message;
    auto port = ParseAllowRule("127.0.0.1:http");
    ASSERT_FALSE(port);
    EXPECT_EQ(port.error().message, "the port of \"127.0.0.1:http\" must be a number from 1 to 65535");
    EXPECT_FALSE(ParseAllowRule("127.0.0.1:0"));
    EXPECT_FALSE(ParseAllowRule("10.0.0.0/33"));
    EXPECT_FALSE(ParseAllowRule("10.0.0.0/x"));
    EXPECT_FALSE(ParseAllowRule("[::1"));
    EXPECT_FALSE(ParseAllowRule(""));
}

TEST(Outbound, PlainHttpOnlyToAllowedAddresses) {
    auto allow = Rules({"127.0.0.1:8099", "[::1]:80"});
    EXPECT_TRUE(AllowsPlainHttp("http://127.0.0.1:8099/services/T0", allow));
    EXPECT_TRUE(AllowsPlainHttp("HTTP://127.0.0.1:8099", allow));
    EXPECT_TRUE(AllowsPlainHttp("http://[::1]/hook", allow));
    EXPECT_FALSE(AllowsPlainHttp("http://127.0.0.1:8098/x", allow));
    EXPECT_FALSE(AllowsPlainHttp("http://127.0.0.1/x", allow)); // port 80 is not allowed
    EXPECT_FALSE(AllowsPlainHttp("http://localhost:8099/x", allow));
    EXPECT_FALSE(AllowsPlainHttp("http://u@127.0.0.1:8099/x", allow));
    EXPECT_FALSE(AllowsPlainHttp("http://hooks.slack.com/x", allow));
    EXPECT_FALSE(AllowsPlainHttp("https://127.0.0.1:8099/x", allow));
    EXPECT_FALSE(AllowsPlainHttp("http://127.0.0.1:8099/x", {}));
}

} // namespace
} // namespace kith::outbound
