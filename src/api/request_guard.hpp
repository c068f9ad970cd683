// What the server checks of a request before it routes it or reads a byte of its body, and what it adds to every
// answer. A hostile client chooses the framing, the encoding and the bytes of everything it sends; these checks
// turn each of its tricks into a 4xx with a message instead of memory, CPU or a 500:
//   - the target: a path or query parameter that is not UTF-8 or holds a control character (NUL included) is
//     refused, so no such byte reaches a handler, a log line or a file name ("/index.html%00.js");
//   - the body's framing: a body is read only for a route that takes one, only as JSON, never compressed, and never
//     past the size limit, whether its length is declared (Content-Length) or not (chunked);
//   - JSON nesting: a body nested deeper than kMaxJsonDepth is refused while it is parsed.
//
//   if (auto refused = ScreenTarget(req.path, req.params)) ...      // 400
//   if (auto refused = ScreenBodyFraming(framing, max_bytes)) ...   // 400, 411, 413, 415, 501: not read
//   ... read the body, at most max_bytes kept ...
//   if (auto refused = ScreenBodyMedia(framing)) ...                // 415: read, not used
//   auto body = ParseJsonBody(text);                                // the JSON or a 400 with line and column
#pragma once

#include "api/router.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::api {

//! The deepest nesting of arrays and objects a request body may have: far more than any definition needs (an audience
//! nests about 4 levels per entity hop), and shallow enough that nothing recursive over a body can exhaust a stack.
constexpr int kMaxJsonDepth = 64;

//! A fresh request id: 16 hex digits, sent back as X-Request-Id and written in the request's log line.
std::string NewRequestId();

//! The headers every answer carries: a Content-Security-Policy that the built web app satisfies (scripts and
//! styles from the service only; inline <style> allowed because the component library writes its CSS variables in
//! one, inline script never), no framing by another site, no MIME sniffing, no referrer sent elsewhere, and an
//! opener and resources of the service's own origin.
const std::vector<std::pair<std::string, std::string>>& SecurityHeaders();

//! A 400 when the decoded path or a query parameter's name or value is not UTF-8 or holds a control character.
std::optional<ApiError> ScreenTarget(std::string_view path, const std::multimap<std::string, std::string>& params);

//! How a request says its body is framed (from its headers).
struct BodyFraming {
    std::string method;
    std::optional<uint64_t> content_length; //!< Content-Length, when present and a number
    bool bad_content_length = false;        //!< Content-Length present but not a number
    std::string transfer_encoding;          //!< lower case; "" when absent
    std::string content_encoding;           //!< lower case; "" when absent
    std::string content_type;               //!< as sent
};

//! Whether the request carries a body (chunked, or a Content-Length above 0).
bool HasBody(const BodyFraming& f);

//! The refusal of a body before a byte of it is read, for what makes reading it unsafe: 400 for a Content-Length
//! that is not a number, 411 for a POST, PUT or PATCH that says neither its length nor chunked (it would be read
//! until the connection closes), 501 for a transfer coding other than chunked, 415 for a multipart body (cpp-httplib
//! would parse its parts) or a compressed one (the limit must count what was sent, not what it inflates to), 413 for
//! a declared length over max_bytes. nullopt: it may be read (through a reader that stops at max_bytes).
std::optional<ApiError> ScreenBodyFraming(const BodyFraming& f, size_t max_bytes);

//! The refusal of a body that was read (and dropped) for what it is: 415 for one that is not application/json.
std::optional<ApiError> ScreenBodyMedia(const BodyFraming& f);

//! The 413 of a body over max_bytes.
ApiError TooLarge(size_t max_bytes);

//! Parses a request body: its JSON, or a 400 with the line and column of the first problem (a syntax error, a number
//! out of range such as 1e400, a string that is not UTF-8, nesting deeper than kMaxJsonDepth).
std::expected<nlohmann::json, ApiError> ParseJsonBody(std::string_view text);

} // namespace kith::api
