#include "config/warehouse_credentials.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>

namespace kith::config {

namespace {

// One entry's value; errors name the entry and where it points, never what was read.
Result<std::string> ReadSecret(const WarehouseSecret& s) {
    std::string at = s.location.ToString();
    std::string key = "warehouse_auth." + s.variable;
    if (!s.env.empty()) {
        const char* v = std::getenv(s.env.c_str());
        if (!v || !*v) return Fail(ErrorCode::USAGE, fmt::format("{}: the variable {} is not set", key, s.env), at);
        return std::string(v);
    }
    std::ifstream in(s.file, std::ios::binary);
    if (!in) return Fail(ErrorCode::USAGE, fmt::format("{}: cannot read the file {}", key, s.file), at);
    if (IsPathVariable(s.variable)) return s.file;
    auto text = text::ReadFile(s.file);
    if (!text) return Fail(ErrorCode::USAGE, fmt::format("{}: cannot read the file {}", key, s.file), at);
    std::string value = std::move(*text);
    while (!value.empty() && std::string_view(" \t\r\n").find(value.back()) != std::string_view::npos) {
        value.pop_back();
    }
    if (value.empty()) return Fail(ErrorCode::USAGE, fmt::format("{}: the file {} is empty", key, s.file), at);
    return value;
}

bool IsSecretVariable(std::string_view name) {
    auto all = WarehouseSecretVariables();
    return std::find(all.begin(), all.end(), name) != all.end();
}

} // namespace

Result<WarehouseCredentials> WarehouseCredentials::Read(const Config& config) {
    WarehouseCredentials c;
    for (const auto& s : config.warehouse_auth) {
        auto value = ReadSecret(s);
        if (!value) return std::unexpected(value.error());
        c.values_[s.variable] = std::move(*value);
    }
    return c;
}

WarehouseCredentials::~WarehouseCredentials() {
    for (auto& [_, value] : values_) std::fill(value.begin(), value.end(), '\0');
}

const char* WarehouseCredentials::Get(const char* name) const {
    if (values_.empty()) return std::getenv(name);
    if (auto it = values_.find(name); it != values_.end()) return it->second.c_str();
    return IsSecretVariable(name) ? nullptr : std::getenv(name);
}

std::function<const char*(const char*)> WarehouseCredentials::Getenv() const {
    return [this](const char* name) { return Get(name); };
}

} // namespace kith::config
