// Small text helpers shared by the modules: UTF-8 checks, ASCII case, quoting and shortening for messages,
// reading whole files, timestamps as ISO 8601 text.
#pragma once

#include "common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kith::text {

//! True when s is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsValidUtf8(std::string_view s);

//! Length in bytes of the valid UTF-8 sequence starting at s[0], or 0 when it is not valid.
size_t Utf8SequenceLength(std::string_view s);

//! s with the ASCII letters A-Z in lower case (other bytes, UTF-8 included, as they are): Lower("NUMBER") == "number".
std::string Lower(std::string_view s);

//! s with the ASCII letters a-z in upper case (other bytes as they are).
std::string Upper(std::string_view s);

//! text without trailing newlines, carriage returns and spaces, cut after limit bytes with "..." added: a server's
//! answer shown in a message.
std::string Shortened(std::string text, size_t limit = 2000);

//! s in double quotes for a message, with control and invalid bytes shown as \xNN
//! and long strings shortened with "...".
std::string Quote(std::string_view s, size_t max_chars = 80);

//! The whole file, or an IO error naming the path and the system's reason.
Result<std::string> ReadFile(const std::string& path);

//! UTC milliseconds since the epoch as ISO 8601 with milliseconds: 0 -> "1970-01-01T00:00:00.000Z".
std::string IsoMillis(int64_t millis);

//! A positive duration as "<n><unit>" (units ms, s, m, h, d: "15m", "1d") in milliseconds; nullopt when malformed,
//! not positive or too large.
std::optional<int64_t> ParseDurationMs(std::string_view text);

} // namespace kith::text
