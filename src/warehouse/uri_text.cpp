#include "warehouse/uri_text.hpp"

#include "common/text.hpp"

#include <fmt/format.h>

#include <cctype>

namespace kith::warehouse {

std::string PercentDecode(std::string_view s, Plus plus) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else if (s[i] == '+' && plus == Plus::SPACE) {
            out += ' ';
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string PercentEncode(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

std::map<std::string, std::string> TakeQuery(std::string& rest, QueryDecoding decoding) {
    std::map<std::string, std::string> query;
    auto q = rest.find('?');
    if (q == std::string::npos) return query;
    std::string_view params = std::string_view(rest).substr(q + 1);
    while (!params.empty()) {
        auto amp = params.find('&');
        std::string_view pair = params.substr(0, amp);
        auto eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq), decoding.plus);
        if (decoding.lower_keys) key = text::Lower(key);
        std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), decoding.plus);
        if (!key.empty()) query[key] = value;
        if (amp == std::string_view::npos) break;
        params.remove_prefix(amp + 1);
    }
    rest.resize(q);
    return query;
}

std::vector<std::string> PathSegments(std::string_view path, Plus plus) {
    std::vector<std::string> parts;
    for (size_t start = 0; start < path.size();) {
        auto slash = path.find('/', start);
        std::string part = PercentDecode(path.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                                             : slash - start),
                                         plus);
        if (!part.empty()) parts.push_back(std::move(part));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return parts;
}

Result<std::string> EndpointParam(const std::map<std::string, std::string>& query, const std::string& location) {
    auto it = query.find("endpoint");
    std::string endpoint = it == query.end() ? "" : it->second;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    if (!endpoint.empty() && !endpoint.starts_with("http://") && !endpoint.starts_with("https://")) {
        return Fail(ErrorCode::USAGE, "endpoint must be an http:// or https:// base URL", location);
    }
    return endpoint;
}

} // namespace kith::warehouse
