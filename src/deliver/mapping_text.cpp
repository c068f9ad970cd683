#include "deliver/mapping_text.hpp"

#include "common/text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace kith::deliver {

using nlohmann::json;

size_t JsonDepth(const json& v, size_t limit) {
    if (!v.is_structured() || v.empty()) return v.is_structured() ? 1 : 0;
    if (limit == 0) return 1;
    size_t deepest = 0;
    for (const auto& item : v) {
        deepest = std::max(deepest, JsonDepth(item, limit - 1));
        if (deepest >= limit) break;
    }
    return deepest + 1;
}

std::string JsNumber(const json& number) {
    if (number.is_number_integer()) {
        return number.is_number_unsigned() ? std::to_string(number.get<uint64_t>())
                                           : std::to_string(number.get<int64_t>());
    }
    double d = number.get<double>();
    if (d == 0) return "0"; // and -0, as JavaScript writes it
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    // The shortest digits that read back as d, as d.ddde±x; then laid out by ECMAScript's Number::toString.
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::scientific);
    std::string_view sci(buf.data(), static_cast<size_t>(end - buf.data()));
    std::string out;
    if (sci.front() == '-') {
        out += '-';
        sci.remove_prefix(1);
    }
    size_t e_at = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_at)) {
        if (c != '.') digits += c;
    }
    int exponent = 0;
    std::string_view exp_text = sci.substr(e_at + 1);
    if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
    std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
    const int k = static_cast<int>(digits.size());
    const int n = exponent + 1; // where the decimal point goes, counted from the first digit
    if (k <= n && n <= 21) {
        out += digits + std::string(static_cast<size_t>(n - k), '0');
    } else if (0 < n && n <= 21) {
        out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
    } else if (-6 < n && n <= 0) {
        out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
    } else {
        out += digits.substr(0, 1);
        if (k > 1) out += "." + digits.substr(1);
        out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
    }
    return out;
}

std::string JsString(const json& v) {
    switch (v.type()) {
    case json::value_t::string: return v.get_ref<const std::string&>();
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return JsNumber(v);
    case json::value_t::array: {
        // Array.prototype.join: null and undefined elements are empty.
        std::string out;
        bool first = true;
        for (const auto& item : v) {
            if (!first) out += ',';
            first = false;
            if (!item.is_null()) out += JsString(item);
        }
        return out;
    }
    case json::value_t::object: return "[object Object]";
    default: return "null";
    }
}

namespace {

void AppendJsonString(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    while (!s.empty()) {
        unsigned char c = static_cast<unsigned char>(s[0]);
        if (c >= 0x80) {
            size_t n = text::Utf8SequenceLength(s);
            if (n == 0) {
                out += "\xEF\xBF\xBD"; // U+FFFD for a byte that is not UTF-8
                s.remove_prefix(1);
            } else {
                out.append(s.substr(0, n));
                s.remove_prefix(n);
            }
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
            } else {
                out += static_cast<char>(c);
            }
        }
        s.remove_prefix(1);
    }
    out += '"';
}

void AppendStringify(std::string& out, const json& v) {
    switch (v.type()) {
    case json::value_t::string: AppendJsonString(out, v.get_ref<const std::string&>()); return;
    case json::value_t::array: {
        out += '[';
        bool first = true;
        for (const auto& item : v) {
            if (!first) out += ',';
            first = false;
            AppendStringify(out, item);
        }
        out += ']';
        return;
    }
    case json::value_t::object: {
        out += '{';
        bool first = true;
        for (const auto& [key, item] : v.items()) {
            if (!first) out += ',';
            first = false;
            AppendJsonString(out, key);
            out += ':';
            AppendStringify(out, item);
        }
        out += '}';
        return;
    }
    case json::value_t::number_float:
        if (!std::isfinite(v.get<double>())) {
            out += "null";
            return;
        }
        out += JsNumber(v);
        return;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::boolean: out += JsString(v); return;
    default: out += "null"; return;
    }
}

// A run of code points whose lowercase is the code point plus delta: all of [first, last], or, when step is 2,
// every other one from first (upper and lower case alternate in Latin Extended and Cyrillic).
struct CaseRange {
    uint32_t first, last;
    int32_t delta;
    uint32_t step;
};

constexpr CaseRange kCaseRanges[] = {
    {0x0041, 0x005A, 32, 1},   // A-Z
    {0x00C0, 0x00D6, 32, 1},   // À-Ö
    {0x00D8, 0x00DE, 32, 1},   // Ø-Þ
    {0x0100, 0x012E, 1, 2},    // Ā-Į
    {0x0132, 0x0136, 1, 2},    // Ĳ-Ķ
    {0x0139, 0x0147, 1, 2},    // Ĺ-Ň
    {0x014A, 0x0176, 1, 2},    // Ŋ-Ŷ
    {0x0178, 0x0178, -121, 1}, // Ÿ → ÿ
    {0x0179, 0x017D, 1, 2},    // Ź-Ž
    {0x0386, 0x0386, 38, 1},   // Ά
    {0x0388, 0x038A, 37, 1},   // Έ-Ί
    {0x038C, 0x038C, 64, 1},   // Ό
    {0x038E, 0x038F, 63, 1},   // Ύ-Ώ
    {0x0391, 0x03A1, 32, 1},   // Α-Ρ
    {0x03A3, 0x03AB, 32, 1},   // Σ-Ϋ
    {0x0400, 0x040F, 80, 1},   // Ѐ-Џ
    {0x0410, 0x042F, 32, 1},   // А-Я
    {0x0460, 0x0480, 1, 2},    // Ѡ-Ҁ
    {0x048A, 0x04BE, 1, 2},    // Ҋ-Ҿ
    {0x04C1, 0x04CD, 1, 2},    // Ӂ-Ӎ
    {0x04D0, 0x052E, 1, 2},    // Ӑ-Ԯ
    {0x0531, 0x0556, 48, 1},   // Ա-Ֆ
    {0x1E00, 0x1E94, 1, 2},    // Ḁ-Ẕ
    {0x1EA0, 0x1EFE, 1, 2},    // Ạ-Ỿ (Vietnamese)
    {0xFF21, 0xFF3A, 32, 1},   // fullwidth Ａ-Ｚ
};

uint32_t LowerCodePoint(uint32_t cp) {
    for (const auto& r : kCaseRanges) {
        if (cp >= r.first && cp <= r.last && (cp - r.first) % r.step == 0) {
            return static_cast<uint32_t>(static_cast<int32_t>(cp) + r.delta);
        }
    }
    return cp;
}

// The uppercase of cp when it is one code point (ß's is two: the caller handles it).
uint32_t UpperCodePoint(uint32_t cp) {
    switch (cp) {
    case 0x00B5: return 0x039C; // µ → Μ
    case 0x0131: return 0x0049; // ı → I
    case 0x017F: return 0x0053; // ſ → S
    case 0x03C2: return 0x03A3; // ς → Σ
    default: break;
    }
    for (const auto& r : kCaseRanges) {
        int64_t upper = static_cast<int64_t>(cp) - r.delta;
        if (upper >= r.first && upper <= r.last && (static_cast<uint32_t>(upper) - r.first) % r.step == 0) {
            return static_cast<uint32_t>(upper);
        }
    }
    return cp;
}

// JavaScript's Canonicalize for a /i regular expression without the u flag: the uppercase, unless that is not one
// character or would turn a non-ASCII character into an ASCII one.
uint32_t Canonical(uint32_t cp) {
    if (cp > 0xFFFF) return cp;
    uint32_t upper = UpperCodePoint(cp);
    if (cp >= 0x80 && upper < 0x80) return cp;
    return upper;
}

void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// The code point at the start of s and its length in bytes; a byte that does not start valid UTF-8 is returned
// as a code point above U+10FFFF (so it maps to nothing and equals only itself) with length 1.
std::pair<uint32_t, size_t> DecodeUtf8(std::string_view s) {
    size_t n = text::Utf8SequenceLength(s);
    auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i])); };
    switch (n) {
    case 1: return {b(0), 1};
    case 2: return {((b(0) & 0x1F) << 6) | (b(1) & 0x3F), 2};
    case 3: return {((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F), 3};
    case 4: return {((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F), 4};
    default: return {0x110000 + b(0), 1};
    }
}

template <typename Map> std::string MapCase(std::string_view s, Map map) {
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        auto [cp, n] = DecodeUtf8(s);
        if (cp > 0x10FFFF) {
            out += s[0];
        } else {
            map(out, cp);
        }
        s.remove_prefix(n);
    }
    return out;
}

// Where pattern matches value from byte `from` on, as [start, end) byte offsets; start == npos when nowhere.
std::pair<size_t, size_t> FindMatch(std::string_view value, std::string_view pattern, size_t from, bool ignore_case) {
    if (!ignore_case) {
        size_t at = value.find(pattern, from);
        return {at, at == std::string_view::npos ? at : at + pattern.size()};
    }
    for (size_t start = from; start < value.size();) {
        size_t v = start, p = 0;
        while (p < pattern.size() && v < value.size()) {
            auto [vc, vn] = DecodeUtf8(value.substr(v));
            auto [pc, pn] = DecodeUtf8(pattern.substr(p));
            if (vc != pc && Canonical(vc) != Canonical(pc)) break;
            v += vn;
            p += pn;
        }
        if (p == pattern.size()) return {start, v};
        start += DecodeUtf8(value.substr(start)).second;
    }
    return {std::string_view::npos, std::string_view::npos};
}

// The replacement for one match, with its $ patterns expanded.
void AppendReplacement(std::string& out, std::string_view replacement, std::string_view value, size_t start,
                       size_t end) {
    for (size_t i = 0; i < replacement.size(); ++i) {
        char c = replacement[i];
        if (c != '$' || i + 1 == replacement.size()) {
            out += c;
            continue;
        }
        switch (replacement[i + 1]) {
        case '$': out += '$'; break;
        case '&': out.append(value.substr(start, end - start)); break;
        case '`': out.append(value.substr(0, start)); break;
        case '\'': out.append(value.substr(end)); break;
        default: out += c; continue; // `$1` and the like: no groups in a literal pattern, kept as written
        }
        ++i;
    }
}

} // namespace

std::string JsonStringify(const json& v) {
    std::string out;
    AppendStringify(out, v);
    return out;
}

std::string ToLowerCase(std::string_view s) {
    return MapCase(s, [](std::string& out, uint32_t cp) {
        if (cp == 0x0130) {
            out += "i\xCC\x87"; // İ → i + combining dot above
        } else {
            AppendUtf8(out, LowerCodePoint(cp));
        }
    });
}

std::string ToUpperCase(std::string_view s) {
    return MapCase(s, [](std::string& out, uint32_t cp) {
        if (cp == 0x00DF) {
            out += "SS";
        } else {
            AppendUtf8(out, UpperCodePoint(cp));
        }
    });
}

std::string ReplaceText(std::string_view value, std::string_view pattern, std::string_view replacement, bool global,
                        bool ignore_case) {
    if (pattern.empty()) return std::string(value);
    std::string out;
    size_t done = 0;
    while (done <= value.size()) {
        auto [start, end] = FindMatch(value, pattern, done, ignore_case);
        if (start == std::string_view::npos) break;
        out.append(value.substr(done, start - done));
        AppendReplacement(out, replacement, value, start, end);
        done = end;
        if (!global) break;
    }
    out.append(value.substr(std::min(done, value.size())));
    return out;
}

} // namespace kith::deliver
