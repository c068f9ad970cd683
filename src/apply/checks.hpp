// Internal: small checks of JSON values that record problems at JSON pointers.
#pragma once

#include "audience/parser.hpp"
#include "common/json.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kith::apply {

class Checker {
public:
    Checker(std::string file, std::vector<audience::AudienceError>& out) : file_(std::move(file)), out_(out) {}

    const std::string& file() const { return file_; }
    void Err(const std::string& pointer, std::string message);
    //! Whether v is an object; reports its keys outside allowed.
    bool Object(const nlohmann::json& v, const std::string& ptr, const std::vector<std::string>& allowed,
                const std::string& what);
    //! obj[key] as a string; missing: nullopt (reported when required); empty strings are reported.
    std::optional<std::string> String(const nlohmann::json& obj, const std::string& key, const std::string& ptr,
                                      bool required);
    //! obj[key] as a bool, or fallback when missing.
    std::optional<bool> Bool(const nlohmann::json& obj, const std::string& key, const std::string& ptr,
                             bool fallback);
    //! obj[key] as an integer in [min, max]; missing: nullopt.
    std::optional<int64_t> Integer(const nlohmann::json& obj, const std::string& key, const std::string& ptr,
                                   int64_t min, int64_t max);

private:
    std::string file_;
    std::vector<audience::AudienceError>& out_;
};

//! "a string", "an array", "an integer", ... for messages: the words of kith apply's files (JSON or YAML).
inline std::string JsonTypeName(const nlohmann::json& v) { return kith::JsonTypeName(v, JsonWords::ARRAY); }

//! Checks an activation's destination, its filter and its action; returns the action (the type's default when
//! absent). A file destination's path must lie beneath file_root ([delivery] file_root).
std::optional<std::string> CheckDestination(const nlohmann::json& activation, Checker& c, const std::string& file_root);

//! Checks an activation's mapping (absent or null: the action's defaults) against its action, when CheckDestination
//! found one.
void CheckMapping(const nlohmann::json& activation, const std::optional<std::string>& action, Checker& c);

} // namespace kith::apply
