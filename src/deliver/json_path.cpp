#include "deliver/json_path.hpp"

#include <algorithm>
#include <limits>

namespace kith::deliver {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsQuote(char c) { return c == '"' || c == '\''; }

// The array index a step names: decimal digits without a leading zero (as JavaScript's canonical numeric
// property names), small enough to be an index.
size_t IndexOf(const std::string& key) {
    if (key.empty() || key.size() > 18 || (key.size() > 1 && key[0] == '0')) return std::string::npos;
    size_t n = 0;
    for (char c : key) {
        if (!IsDigit(c)) return std::string::npos;
        n = n * 10 + static_cast<size_t>(c - '0');
    }
    return n;
}

} // namespace

JsonPath JsonPath::Parse(std::string_view text) {
    if (text.starts_with("$.")) {
        text.remove_prefix(2);
    } else if (text == "$") {
        text = {};
    }
    JsonPath path;
    std::string current;
    auto flush = [&] {
        // Quotes only delimit keys in mapping-kit's paths; they are never part of a key.
        std::erase_if(current, IsQuote);
        if (!current.empty()) {
            size_t index = IndexOf(current);
            path.steps_.push_back(Step{std::move(current), index});
        }
        current.clear();
    };
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '.') {
            flush();
        } else if (c == '[' && i + 1 < text.size() && (IsDigit(text[i + 1]) || IsQuote(text[i + 1]))) {
            flush();
        } else if (c == ']' && i > 0 && (IsDigit(text[i - 1]) || IsQuote(text[i - 1]))) {
            flush();
            while (i + 1 < text.size() && text[i + 1] == ']') ++i; // `]]` after an index is one separator
        } else {
            current += c;
        }
    }
    flush();
    return path;
}

const nlohmann::json* JsonPath::Find(const nlohmann::json& root) const {
    const nlohmann::json* at = &root;
    for (const auto& step : steps_) {
        if (at->is_object()) {
            auto it = at->find(step.key);
            if (it == at->end()) return nullptr;
            at = &*it;
        } else if (at->is_array()) {
            if (step.index >= at->size()) return nullptr;
            at = &(*at)[step.index];
        } else {
            return nullptr;
        }
    }
    return at;
}

bool JsonPath::Overlaps(const JsonPath& other) const {
    size_t n = std::min(steps_.size(), other.steps_.size());
    for (size_t i = 0; i < n; ++i) {
        if (steps_[i].key != other.steps_[i].key) return false;
    }
    return true;
}

} // namespace kith::deliver
