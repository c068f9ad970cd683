#include "common/outbound.hpp"

#include "common/text.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace kith::outbound {

namespace {

// Whether the first `prefix` bits of a and net are equal (both of the same family).
bool InNetwork(const Address& a, const Address& net, int prefix) {
    if (a.v6 != net.v6) return false;
    int full = prefix / 8;
    if (std::memcmp(a.bytes.data(), net.bytes.data(), static_cast<size_t>(full)) != 0) return false;
    int rest = prefix % 8;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
    return (a.bytes[full] & mask) == (net.bytes[full] & mask);
}

Address V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    Address out;
    out.bytes = {a, b, c, d};
    return out;
}

Address V6(std::initializer_list<uint16_t> groups) {
    Address out;
    out.v6 = true;
    size_t i = 0;
    for (uint16_t g : groups) {
        out.bytes[i++] = static_cast<uint8_t>(g >> 8);
        out.bytes[i++] = static_cast<uint8_t>(g & 0xFF);
    }
    return out;
}

// The IPv4 address in the last 4 bytes of an IPv6 one.
Address Embedded(const Address& a) {
    return V4(a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]);
}

struct Range {
    Address network;
    int prefix;
    const char* what;
};

// IPv4 ranges that are not the public internet (IANA special-purpose registry), most specific first.
const Range kInternalV4[] = {
    {V4(255, 255, 255, 255), 32, "the broadcast address"},
    {V4(0, 0, 0, 0), 8, "an unspecified address (0.0.0.0/8)"},
    {V4(10, 0, 0, 0), 8, "a private address (RFC 1918)"},
    {V4(100, 64, 0, 0), 10, "a shared address (carrier-grade NAT, 100.64.0.0/10)"},
    {V4(127, 0, 0, 0), 8, "a loopback address"},
    {V4(169, 254, 0, 0), 16, "a link-local address (169.254.0.0/16, where cloud metadata services answer)"},
    {V4(172, 16, 0, 0), 12, "a private address (RFC 1918)"},
    {V4(192, 0, 0, 0), 24, "a reserved address (IETF protocol assignments)"},
    {V4(192, 168, 0, 0), 16, "a private address (RFC 1918)"},
    {V4(198, 18, 0, 0), 15, "a reserved address (benchmarking networks)"},
    {V4(224, 0, 0, 0), 4, "a multicast address"},
    {V4(240, 0, 0, 0), 4, "a reserved address (240.0.0.0/4)"},
};

const Range kInternalV6[] = {
    {V6({0, 0, 0, 0, 0, 0, 0, 0}), 128, "the unspecified address"},
    {V6({0, 0, 0, 0, 0, 0, 0, 1}), 128, "a loopback address"},
    {V6({0x64, 0xff9b, 1}), 48, "a private address (local-use NAT64, 64:ff9b:1::/48)"},
    {V6({0x100}), 64, "a reserved address (discard-only, 100::/64)"},
    {V6({0xfc00}), 7, "a private address (unique local, fc00::/7)"},
    {V6({0xfe80}), 10, "a link-local address (fe80::/10)"},
    {V6({0xfec0}), 10, "a site-local address (fec0::/10)"},
    {V6({0xff00}), 8, "a multicast address"},
};

// IPv6 forms that carry an IPv4 address, with the words that go before the IPv4 verdict.
const Range kCarriersOfV4[] = {
    {V6({0, 0, 0, 0, 0, 0xffff}), 96, "IPv4-mapped"},
    {V6({0x64, 0xff9b}), 96, "NAT64"},
    {V6({0, 0, 0, 0, 0, 0}), 96, "IPv4-compatible"},
};

std::optional<int> ParsePort(std::string_view s) {
    int port = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || port < 1 || port > 65535) return std::nullopt;
    return port;
}

// The rule's address and optional "/bits" (the text without its port).
Result<AllowRule> ParseNetwork(std::string_view net, std::string_view whole) {
    AllowRule rule;
    std::string_view addr = net;
    std::optional<int> bits;
    if (auto slash = net.find('/'); slash != std::string_view::npos) {
        addr = net.substr(0, slash);
        std::string_view b = net.substr(slash + 1);
        int n = -1;
        auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), n);
        if (b.empty() || ec != std::errc() || end != b.data() + b.size()) {
            return Fail(ErrorCode::INVALID, fmt::format("the prefix length of {} is not a number", text::Quote(whole)));
        }
        bits = n;
    }
    auto a = ParseAddress(addr);
    if (!a) {
        return Fail(ErrorCode::INVALID,
                    fmt::format("expected an IP address or network (127.0.0.1, 10.0.0.0/8, ::1, fd00::/8), optionally "
                                "with :PORT ([::1]:8080), found {}; host names are not accepted: the check is made "
                                "on the address connected to",
                                text::Quote(whole)));
    }
    int max = a->v6 ? 128 : 32;
    if (bits && (*bits < 0 || *bits > max)) {
        return Fail(ErrorCode::INVALID,
                    fmt::format("the prefix length of {} must be from 0 to {}", text::Quote(whole), max));
    }
    rule.network = *a;
    rule.prefix = bits.value_or(max);
    return rule;
}

} // namespace

std::optional<Address> ParseAddress(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
    std::string s(text);
    Address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
    return std::nullopt;
}

std::optional<std::pair<Address, int>> FromSockaddr(const sockaddr* sa) {
    if (!sa) return std::nullopt;
    Address a;
    if (sa->sa_family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, sa, sizeof in);
        std::memcpy(a.bytes.data(), &in.sin_addr, 4);
        return std::pair{a, static_cast<int>(ntohs(in.sin_port))};
    }
    if (sa->sa_family == AF_INET6) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, sa, sizeof in6);
        a.v6 = true;
        std::memcpy(a.bytes.data(), &in6.sin6_addr, 16);
        return std::pair{a, static_cast<int>(ntohs(in6.sin6_port))};
    }
    return std::nullopt;
}

std::string ToString(const Address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
    return buf;
}

std::optional<std::string> Internal(const Address& a) {
    if (!a.v6) {
        for (const auto& r : kInternalV4) {
            if (InNetwork(a, r.network, r.prefix)) return r.what;
        }
        return std::nullopt;
    }
    for (const auto& r : kInternalV6) {
        if (InNetwork(a, r.network, r.prefix)) return r.what;
    }
    for (const auto& r : kCarriersOfV4) {
        if (!InNetwork(a, r.network, r.prefix)) continue;
        auto inner = Internal(Embedded(a));
        if (!inner) return std::nullopt;
        // "a loopback address" → "an IPv4-mapped loopback address"
        std::string what = *inner;
        auto space = what.find(' ');
        return fmt::format("{} {} {}", r.what[0] == 'I' ? "an" : "a", r.what, what.substr(space + 1));
    }
    return std::nullopt;
}

bool AllowRule::Covers(const Address& a, int p) const {
    if (port != 0 && port != p) return false;
    if (InNetwork(a, network, prefix)) return true;
    // An IPv4 rule covers the IPv4-mapped form of its addresses.
    return a.v6 && !network.v6 && InNetwork(a, kCarriersOfV4[0].network, 96) && InNetwork(Embedded(a), network, prefix);
}

Result<AllowRule> ParseAllowRule(std::string_view text) {
    std::string_view net = text;
    std::optional<int> port;
    if (text.starts_with('[')) {
        // [v6] or [v6]:port or [v6/bits]:port
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            return Fail(ErrorCode::INVALID, fmt::format("{} has no closing \"]\"", text::Quote(text)));
        }
        net = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(':') || !(port = ParsePort(rest.substr(1)))) {
                return Fail(ErrorCode::INVALID, fmt::format("the port of {} must be a number from 1 to 65535",
                                                            text::Quote(text)));
            }
        }
    } else if (auto colon = text.find(':'); colon != std::string_view::npos && text.find(':', colon + 1) ==
                                                                                  std::string_view::npos) {
        // One colon: IPv4 (or a name) with a port. Several: a bare IPv6 address.
        net = text.substr(0, colon);
        if (!(port = ParsePort(text.substr(colon + 1)))) {
            return Fail(ErrorCode::INVALID,
                        fmt::format("the port of {} must be a number from 1 to 65535", text::Quote(text)));
        }
    }
    auto rule = ParseNetwork(net, text);
    if (!rule) return rule;
    rule->port = port.value_or(0);
    rule->text = std::string(text);
    return rule;
}

std::optional<std::string> Refusal(const Address& a, int port, std::span<const AllowRule> allow) {
    auto internal = Internal(a);
    if (!internal) return std::nullopt;
    for (const auto& rule : allow) {
        if (rule.Covers(a, port)) return std::nullopt;
    }
    return fmt::format("{} port {} is {}", ToString(a), port, *internal);
}

bool AllowsPlainHttp(std::string_view url, std::span<const AllowRule> allow) {
    constexpr std::string_view kScheme = "http://";
    if (url.size() < kScheme.size() || text::Lower(url.substr(0, kScheme.size())) != kScheme) return false;
    std::string_view rest = url.substr(kScheme.size());
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find_first_not_of("0123456789abcdefABCDEF.:[]") != std::string_view::npos) {
        return false;
    }
    std::string_view host = authority;
    int port = 80;
    if (auto colon = authority.rfind(':'); colon != std::string_view::npos &&
                                           (authority.front() != '[' || authority[colon - 1] == ']')) {
        if (authority.front() == '[' || authority.find(':') == colon) {
            auto p = ParsePort(authority.substr(colon + 1));
            if (!p) return false;
            port = *p;
            host = authority.substr(0, colon);
        }
    }
    auto a = ParseAddress(host);
    if (!a) return false;
    for (const auto& rule : allow) {
        if (rule.Covers(*a, port)) return true;
    }
    return false;
}

} // namespace kith::outbound
