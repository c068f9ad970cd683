#include "common/json.hpp"

namespace kith {

std::string JsonPointerToken(std::string_view token) {
    std::string out = "/";
    for (char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace kith
