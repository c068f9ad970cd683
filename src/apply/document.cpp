#include "apply/document.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <yaml-cpp/yaml.h>

namespace kith::apply {

namespace {

using nlohmann::json;

std::string At(const std::string& file, int line, int column) { return fmt::format("{}:{}:{}", file, line, column); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [-+]?[0-9]+
bool IsInteger(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsFloat(std::string_view s) {
    size_t i = 0;
    auto digits = [&] {
        size_t start = i;
        while (i < s.size() && IsDigit(s[i])) ++i;
        return i - start;
    };
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t whole = digits();
    size_t fraction = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        fraction = digits();
    }
    if (whole == 0 && fraction == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
        if (digits() == 0) return false;
    }
    return i == s.size();
}

// A plain scalar under the YAML 1.2 core schema.
json PlainScalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    if (IsInteger(s)) {
        int64_t v = 0;
        const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
        auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v);
        if (ec == std::errc() && end == s.data() + s.size()) return v;
        return std::strtod(s.c_str(), nullptr); // out of int64 range
    }
    if (IsFloat(s)) return std::strtod(s.c_str(), nullptr);
    if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") return std::numeric_limits<double>::infinity();
    if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -std::numeric_limits<double>::infinity();
    return s;
}

Result<json> Convert(const YAML::Node& node, const std::string& file) {
    const YAML::Mark mark = node.Mark();
    auto where = [&] { return At(file, mark.line + 1, mark.column + 1); };
    switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return json(nullptr);
    case YAML::NodeType::Scalar: {
        const std::string& tag = node.Tag();
        const std::string& value = node.Scalar();
        if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(value);
        if (tag == "?" || tag.empty()) return PlainScalar(value);
        if (tag == "tag:yaml.org,2002:null" || tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:int" ||
            tag == "tag:yaml.org,2002:float") {
            json v = PlainScalar(value);
            bool fits = (tag.ends_with("null") && v.is_null()) || (tag.ends_with("bool") && v.is_boolean()) ||
                        (tag.ends_with("int") && v.is_number_integer()) ||
                        (tag.ends_with("float") && v.is_number());
            if (!fits) return Fail(ErrorCode::INVALID, fmt::format("{} is not a valid {}", text::Quote(value), tag),
                                   where());
            return tag.ends_with("float") ? json(v.get<double>()) : v;
        }
        return Fail(ErrorCode::INVALID, "unsupported YAML tag " + text::Quote(tag), where());
    }
    case YAML::NodeType::Sequence: {
        json out = json::array();
        for (const auto& item : node) {
            auto v = Convert(item, file);
            if (!v) return v;
            out.push_back(std::move(*v));
        }
        return out;
    }
    case YAML::NodeType::Map: {
        json out = json::object();
        for (const auto& kv : node) {
            const YAML::Mark km = kv.first.Mark();
            if (!kv.first.IsScalar()) {
                return Fail(ErrorCode::INVALID, "mapping keys must be strings", At(file, km.line + 1, km.column + 1));
            }
            const std::string& key = kv.first.Scalar();
            if (out.contains(key)) {
                return Fail(ErrorCode::INVALID, "duplicate key " + text::Quote(key),
                            At(file, km.line + 1, km.column + 1));
            }
            auto v = Convert(kv.second, file);
            if (!v) return v;
            out[key] = std::move(*v);
        }
        return out;
    }
    }
    return json(nullptr);
}

} // namespace

bool IsDocumentFile(std::string_view name) {
    return name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml");
}

Result<json> ParseJsonDocument(std::string_view text, const std::string& file) {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        // byte is the 1-based offset just past the failure; find its line and column.
        size_t offset = std::min(e.byte == 0 ? 0 : e.byte - 1, text.size());
        int line = 1, column = 1;
        for (size_t i = 0; i < offset; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
                ++column;
            }
        }
        std::string message = e.what();
        if (auto p = message.find("syntax error while parsing value - "); p != std::string::npos) {
            message = message.substr(p + 35);
        } else if (auto q = message.find("] "); q != std::string::npos) {
            message = message.substr(q + 2);
        }
        return Fail(ErrorCode::INVALID, "invalid JSON: " + message, At(file, line, column));
    }
}

Result<json> ParseYamlDocument(std::string_view text, const std::string& file) {
    try {
        std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
        if (docs.empty()) return json(nullptr);
        if (docs.size() > 1) {
            const YAML::Mark m = docs[1].Mark();
            return Fail(ErrorCode::INVALID, "one document per file", At(file, m.line + 1, m.column + 1));
        }
        return Convert(docs[0], file);
    } catch (const YAML::Exception& e) {
        return Fail(ErrorCode::INVALID, "invalid YAML: " + e.msg, At(file, e.mark.line + 1, e.mark.column + 1));
    }
}

Result<json> ReadDocument(const std::string& path) {
    auto text = text::ReadFile(path);
    if (!text) return std::unexpected(text.error());
    if (path.ends_with(".json")) return ParseJsonDocument(*text, path);
    return ParseYamlDocument(*text, path);
}

} // namespace kith::apply
