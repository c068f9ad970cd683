#include "common/text.hpp"

#include <cerrno>
#include <charconv>
#include <climits>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace kith::text {

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string Upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

std::string Shortened(std::string text, size_t limit) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (text.size() > limit) text = text.substr(0, limit) + "...";
    return text;
}

size_t Utf8SequenceLength(std::string_view s) {
    if (s.empty()) return 0;
    auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned char c = b(0);
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (s.size() < n) return 0;
    for (size_t i = 1; i < n; ++i) {
        if ((b(i) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

bool IsValidUtf8(std::string_view s) {
    while (!s.empty()) {
        size_t n = Utf8SequenceLength(s);
        if (n == 0) return false;
        s.remove_prefix(n);
    }
    return true;
}

std::string Quote(std::string_view s, size_t max_chars) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    size_t chars = 0;
    while (!s.empty()) {
        if (chars == max_chars) {
            out += "...";
            break;
        }
        size_t n = Utf8SequenceLength(s);
        unsigned char c = static_cast<unsigned char>(s[0]);
        if (n == 0 || c < 0x20 || c == 0x7F) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
            n = 1;
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else {
            out.append(s.substr(0, n));
        }
        s.remove_prefix(n);
        ++chars;
    }
    out += '"';
    return out;
}

Result<std::string> ReadFile(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        return Fail(ErrorCode::IO, std::string("cannot read file: ") + std::strerror(errno), path);
    }
    if (S_ISDIR(st.st_mode)) return Fail(ErrorCode::IO, "cannot read file: it is a directory", path);
    std::ifstream in(path, std::ios::binary);
    if (!in) return Fail(ErrorCode::IO, std::string("cannot read file: ") + std::strerror(errno), path);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return Fail(ErrorCode::IO, "cannot read file: read error", path);
    return ss.str();
}

std::string IsoMillis(int64_t millis) {
    using namespace std::chrono;
    auto tp = sys_time<milliseconds>(milliseconds(millis));
    auto day = floor<days>(tp);
    year_month_day ymd(day);
    hh_mm_ss<milliseconds> t(tp - day);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), t.hours().count(),
                       t.minutes().count(), t.seconds().count(), t.subseconds().count());
}

std::optional<int64_t> ParseDurationMs(std::string_view text) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || n <= 0) return std::nullopt;
    std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
    static const std::pair<std::string_view, int64_t> kUnits[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
    for (const auto& [name, ms] : kUnits) {
        if (unit == name) return n > INT64_MAX / ms ? std::nullopt : std::optional<int64_t>(n * ms);
    }
    return std::nullopt;
}

} // namespace kith::text
