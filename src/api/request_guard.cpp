#include "api/request_guard.hpp"

#include "api/auth.hpp"
#include "common/text.hpp"

#include <charconv>
#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

std::pair<size_t, size_t> LineColumn(std::string_view text, size_t byte) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

//! The first byte that is not UTF-8 or is a control character (C0 or DEL), or npos.
size_t FirstBadByte(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return i;
        size_t n = c < 0x80 ? 1 : text::Utf8SequenceLength(s.substr(i));
        if (n == 0) return i;
        i += n;
    }
    return std::string_view::npos;
}

//! Where (the byte of the bracket) a text first nests arrays and objects deeper than kMaxJsonDepth, or npos. Brackets
//! inside strings do not count.
size_t TooDeepAt(std::string_view t) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < t.size(); ++i) {
        char c = t[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth) return i;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return std::string_view::npos;
}

ApiError BodyError(std::string_view text, size_t byte, const std::string& problem) {
    auto [line, col] = LineColumn(text, byte);
    ApiError e = Malformed(fmt::format("the body is not valid JSON (line {}, column {}): {}", line, col, problem), "");
    e.errors = json::array({{{"pointer", ""}, {"line", line}, {"column", col}, {"message", problem}}});
    return e;
}

bool IsJsonType(std::string_view content_type) {
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    std::string m = text::Lower(media);
    return m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"));
}

//! The JSON pointer of the first string (value or key) holding a NUL character: no field of kith takes one, and one
//! must never reach a warehouse (engines end text there, or refuse it). Recursion is bounded by kMaxJsonDepth.
std::optional<std::string> NulAt(const json& j, const std::string& pointer) {
    auto escaped = [](const std::string& key) {
        std::string out;
        for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
        return out;
    };
    if (j.is_string()) {
        if (j.get_ref<const std::string&>().find('\0') != std::string::npos) return pointer;
    } else if (j.is_object()) {
        for (const auto& [k, v] : j.items()) {
            if (k.find('\0') != std::string::npos) return pointer + "/" + escaped(k);
            if (auto at = NulAt(v, pointer + "/" + escaped(k))) return at;
        }
    } else if (j.is_array()) {
        for (size_t i = 0; i < j.size(); ++i) {
            if (auto at = NulAt(j[i], pointer + "/" + std::to_string(i))) return at;
        }
    }
    return std::nullopt;
}

ApiError NotJson(const BodyFraming& f) {
    return ApiError{415, "unsupported_media_type",
                    fmt::format("the body must be JSON with Content-Type: application/json (found {:?})",
                                text::Shortened(f.content_type, 80))};
}

} // namespace

std::string NewRequestId() { return RandomToken().substr(0, 16); }

const std::vector<std::pair<std::string, std::string>>& SecurityHeaders() {
    static const std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Security-Policy",
         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
         "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
         "frame-ancestors 'none'"},
        {"X-Frame-Options", "DENY"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"},
    };
    return headers;
}

std::optional<ApiError> ScreenTarget(std::string_view path, const std::multimap<std::string, std::string>& params) {
    if (size_t bad = FirstBadByte(path); bad != std::string_view::npos) {
        return Malformed(fmt::format("the path holds a byte that is not UTF-8 text or is a control character (byte {} "
                                     "after decoding)",
                                     bad + 1));
    }
    for (const auto& [name, value] : params) {
        if (FirstBadByte(name) != std::string_view::npos) {
            return Malformed("a query parameter's name is not UTF-8 text or holds a control character");
        }
        if (size_t bad = FirstBadByte(value); bad != std::string_view::npos) {
            return Malformed(fmt::format("the query parameter \"{}\" is not UTF-8 text or holds a control character "
                                         "(byte {} after decoding)",
                                         name, bad + 1));
        }
    }
    return std::nullopt;
}

bool HasBody(const BodyFraming& f) {
    return !f.transfer_encoding.empty() || (f.content_length && *f.content_length > 0);
}

ApiError TooLarge(size_t max_bytes) {
    return ApiError{413, "too_large", fmt::format("the request body is larger than {} bytes", max_bytes)};
}

std::optional<ApiError> ScreenBodyFraming(const BodyFraming& f, size_t max_bytes) {
    if (f.bad_content_length) return Malformed("Content-Length is not a number of bytes");
    if (!f.transfer_encoding.empty() && f.transfer_encoding != "chunked") {
        return ApiError{501, "not_implemented",
                        fmt::format("Transfer-Encoding {:?} is not supported (only chunked)", f.transfer_encoding)};
    }
    bool takes_body = f.method == "POST" || f.method == "PUT" || f.method == "PATCH";
    if (takes_body && f.transfer_encoding.empty() && !f.content_length) {
        return ApiError{411, "length_required",
                        fmt::format("a {} needs Content-Length (0 without a body) or Transfer-Encoding: chunked",
                                    f.method)};
    }
    if (!HasBody(f)) return std::nullopt;
    if (text::Lower(f.content_type).starts_with("multipart/")) return NotJson(f);
    if (!f.content_encoding.empty() && f.content_encoding != "identity") {
        return ApiError{415, "unsupported_media_type",
                        fmt::format("compressed request bodies are not accepted (Content-Encoding {:?})",
                                    text::Shortened(f.content_encoding, 40))};
    }
    if (f.content_length && *f.content_length > max_bytes) return TooLarge(max_bytes);
    return std::nullopt;
}

std::optional<ApiError> ScreenBodyMedia(const BodyFraming& f) {
    if (!HasBody(f)) return std::nullopt;
    if (!IsJsonType(f.content_type)) return NotJson(f);
    return std::nullopt;
}

std::expected<json, ApiError> ParseJsonBody(std::string_view text) {
    if (size_t deep = TooDeepAt(text); deep != std::string_view::npos) {
        return std::unexpected(BodyError(text, deep, fmt::format("nested deeper than {} levels", kMaxJsonDepth)));
    }
    try {
        json body = json::parse(text);
        if (auto where = NulAt(body, "")) {
            return std::unexpected(Malformed("a string holds a NUL character (\\u0000), which no field takes", *where));
        }
        return body;
    } catch (const json::parse_error& e) {
        return std::unexpected(BodyError(text, e.byte > 0 ? e.byte - 1 : 0, e.what()));
    } catch (const json::exception& e) {
        // A number the parser cannot hold (1e400) has no position in the exception: the whole body is the place.
        return std::unexpected(BodyError(text, 0, e.what()));
    }
}

} // namespace kith::api
