#include "common/diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace kith {

std::string Location::ToString() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Diagnostic::ToString() const { return location.ToString() + ": " + message; }

void SortByLocation(Diagnostics& diagnostics) {
    std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.location.line, a.location.column) < std::tie(b.location.line, b.location.column);
    });
}

} // namespace kith
