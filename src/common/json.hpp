// Checks of JSON values that the audience, schedule and apply formats share: what a value's type is called in
// a message, JSON pointer tokens, and keys an object may not have. For nlohmann::json and ordered_json alike.
//
//   if (!v.is_object()) Err(ptr, "a window must be an object, found " + JsonTypeName(v));
//   for (const auto& key : UnknownJsonKeys(v, allowed))
//       Err(ptr + JsonPointerToken(key), UnknownKeyMessage(key, "a window", allowed));
#pragma once

#include "common/text.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kith {

//! How messages name JSON types.
enum class JsonWords {
    LIST,  //!< audiences and schedules: "a list", and "a number" for every number
    ARRAY, //!< kith apply's files (JSON or YAML): "an array", and "an integer" apart from "a number"
};

//! "null", "a boolean", "a number", "a string", "a list", "an object" (JsonWords::ARRAY: "an array", and
//! "an integer" for a whole number); "a value" for anything else.
template <typename Json> std::string JsonTypeName(const Json& v, JsonWords words = JsonWords::LIST) {
    using T = nlohmann::json::value_t;
    switch (v.type()) {
    case T::null:
        return "null";
    case T::boolean:
        return "a boolean";
    case T::number_integer:
    case T::number_unsigned:
        return words == JsonWords::ARRAY ? "an integer" : "a number";
    case T::number_float:
        return "a number";
    case T::string:
        return "a string";
    case T::array:
        return words == JsonWords::ARRAY ? "an array" : "a list";
    case T::object:
        return "an object";
    default:
        return "a value";
    }
}

//! "/" and the token escaped for a JSON pointer: "/b~1c" for b/c, "/~0" for ~.
std::string JsonPointerToken(std::string_view token);

//! The keys of object v that `allowed` (strings or string views) does not name, in v's order; none when v is
//! not an object.
template <typename Json, typename Names> std::vector<std::string> UnknownJsonKeys(const Json& v, const Names& allowed) {
    std::vector<std::string> out;
    if (!v.is_object())
        return out;
    for (const auto& [key, _] : v.items()) {
        if (std::none_of(std::begin(allowed), std::end(allowed),
                         [&](const auto& a) { return std::string_view(a) == key; })) {
            out.push_back(key);
        }
    }
    return out;
}

//! unknown key "colour" in a days schedule (allowed: type, days, time, timezone)
template <typename Names>
std::string UnknownKeyMessage(std::string_view key, std::string_view what, const Names& allowed) {
    std::string list;
    for (const auto& a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
    return "unknown key " + text::Quote(key) + " in " + std::string(what) + " (allowed: " + list + ")";
}

} // namespace kith
