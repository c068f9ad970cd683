// Which addresses kith may connect to when it sends events or alerts: by
// default none of the internal ones — loopback, private (RFC 1918, CGNAT,
// IPv6 unique local and site-local), link-local (where cloud metadata
// services answer), unspecified, multicast, broadcast and reserved, and the
// IPv4-mapped, IPv4-compatible and NAT64 forms of them — unless an allow rule
// of the config ([delivery] allow_hosts) names the address or its network.
// The check is made on the address a connection is opened to, after name
// resolution, so a name that resolves to 127.0.0.1 is refused like 127.0.0.1.
//
//   auto rule = outbound::ParseAllowRule("10.0.0.0/8");            // or "127.0.0.1:8099", "[::1]:8080"
//   auto addr = outbound::ParseAddress("169.254.169.254");
//   if (auto why = outbound::Refusal(*addr, 80, {&*rule, 1})) ...   // "169.254.169.254 is a link-local address"
#pragma once

#include "common/error.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct sockaddr;

namespace kith::outbound {

//! An IPv4 or IPv6 address (IPv4 in the first 4 bytes).
struct Address {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};

    bool operator==(const Address&) const = default;
};

//! A literal address: "127.0.0.1", "::1", "[::1]". nullopt for anything else (host names included).
std::optional<Address> ParseAddress(std::string_view text);

//! The address and port of a socket address (AF_INET or AF_INET6); nullopt for other families.
std::optional<std::pair<Address, int>> FromSockaddr(const sockaddr* sa);

//! "127.0.0.1", "::ffff:127.0.0.1", "fe80::1".
std::string ToString(const Address& a);

//! Why an address is internal ("a loopback address", "a private address (RFC 1918)", ...); nullopt when it is a
//! public one. IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses
//! are judged by the IPv4 address they carry.
std::optional<std::string> Internal(const Address& a);

//! One entry of [delivery] allow_hosts: an address or a network, optionally with a port.
struct AllowRule {
    Address network;
    int prefix = 0; //!< bits of network that must match (32 or 128 for a single address)
    int port = 0;   //!< 0: every port
    std::string text; //!< as written

    //! Whether the rule covers the address (IPv4-mapped IPv6 addresses as their IPv4 address) and port.
    bool Covers(const Address& a, int port) const;
};

//! Parses "127.0.0.1", "127.0.0.1:8099", "::1", "[::1]:8080", "10.0.0.0/8", "10.0.0.0/8:443", "fd00::/8",
//! "[fd00::/8]:443". Host names are refused (INVALID, saying why): the check is on the address connected to.
Result<AllowRule> ParseAllowRule(std::string_view text);

//! Why a connection to address:port is refused — "127.0.0.1 port 8099 is a loopback address" — or nullopt when it
//! is a public address or a rule of allow covers it.
std::optional<std::string> Refusal(const Address& a, int port, std::span<const AllowRule> allow);

//! Whether a plain http:// URL may stand where https:// is required (a Slack webhook): its host is an IP address
//! (no user info, nothing unusual in its authority) that a rule of allow covers at the URL's port (80 by default).
bool AllowsPlainHttp(std::string_view url, std::span<const AllowRule> allow);

} // namespace kith::outbound
