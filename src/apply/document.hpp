// The files `kith apply` reads: one object per file, JSON (.json) or YAML
// (.yaml, .yml), both turned into the same nlohmann::json tree so that every
// later check and every error location (a JSON pointer) is the same for both.
//
//   auto doc = apply::ReadDocument("audiences/vip.yaml");
//   if (!doc) std::cerr << doc.error().ToString() << "\n";   // "vip.yaml:3:7: ..."
#pragma once

#include "common/error.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace kith::apply {

//! Whether a file name is one apply reads (.json, .yaml, .yml).
bool IsDocumentFile(std::string_view name);

//! Parses JSON text; a syntax error is INVALID at "file:line:col".
Result<nlohmann::json> ParseJsonDocument(std::string_view text, const std::string& file);

//! Parses YAML text with the YAML 1.2 core schema: plain scalars become null, booleans, integers or floats
//! when they read as such, every other scalar (and every quoted one) a string; mappings become objects
//! (keys as strings), sequences arrays. One document per file. Errors are INVALID at "file:line:col".
Result<nlohmann::json> ParseYamlDocument(std::string_view text, const std::string& file);

//! Reads a file and parses it by its extension.
Result<nlohmann::json> ReadDocument(const std::string& path);

} // namespace kith::apply
