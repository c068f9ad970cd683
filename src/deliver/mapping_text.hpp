// Text as Segment's mapping kit makes it: mapping-kit runs on JavaScript, so a number in a template, a value
// given to `@json` or a string given to `@case` comes out the way JavaScript's String(), JSON.stringify(),
// toLowerCase() and String.prototype.replace() write it. These functions do the same for nlohmann::json values,
// so a mapping gives the same text in kith as in Segment.
//
//   JsString(json(1.0)) == "1";  JsString(json::array({1, nullptr, "a"})) == "1,,a";
//   JsonStringify(json{{"a", 1.5}}) == R"({"a":1.5})";
//   ReplaceText("a-b-c", "-", "+", /*global=*/true, /*ignore_case=*/false) == "a+b+c";
//
// Values are walked recursively: callers check JsonDepth first (mapping.cpp limits it).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kith::deliver {

//! How deeply v nests (a scalar is 0, [1] is 1), counted up to limit + 1 and no further.
size_t JsonDepth(const nlohmann::json& v, size_t limit);

//! A number as JavaScript's Number.prototype.toString writes it: integers without ".0", the shortest digits that
//! read back the same, exponent form below 1e-6 and from 1e21 on (`1e+21`, `1.5e-7`).
std::string JsNumber(const nlohmann::json& number);

//! String(v): strings as they are, numbers as JsNumber, true/false, "null", arrays joined by "," with null
//! elements empty, objects "[object Object]".
std::string JsString(const nlohmann::json& v);

//! JSON.stringify(v): compact, numbers as JsNumber, strings escaped as JavaScript does (\" \\ \b \f \n \r \t,
//! other control characters as \u00xx, everything else as is; invalid UTF-8 bytes become U+FFFD).
std::string JsonStringify(const nlohmann::json& v);

//! s.toLowerCase() / s.toUpperCase() for the cased letters of Latin, Greek, Cyrillic and Armenian (ß uppercases
//! to SS, İ lowercases to i̇); other characters, and bytes that are not UTF-8, are kept.
std::string ToLowerCase(std::string_view s);
std::string ToUpperCase(std::string_view s);

//! value.replace(new RegExp(escaped(pattern), flags), replacement): pattern is literal text, not a regular
//! expression (mapping-kit escapes it). Replaces the first match, or every match when global; ignore_case
//! compares letters as JavaScript's /i flag does. In replacement, `$$` is `$`, `$&` the match, `` $` `` the text
//! before it and `$'` the text after it. An empty pattern matches nothing.
std::string ReplaceText(std::string_view value, std::string_view pattern, std::string_view replacement, bool global,
                        bool ignore_case);

} // namespace kith::deliver
