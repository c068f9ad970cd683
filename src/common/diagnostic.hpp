// Source locations and diagnostics for files a person writes (graphs, audiences).
#pragma once

#include <string>
#include <vector>

namespace kith {

//! A position in a text file; line and column count from 1 (columns in characters).
struct Location {
    std::string file;
    int line = 0;
    int column = 0;

    bool IsSet() const { return line > 0; }
    //! "file:line:col".
    std::string ToString() const;
};

//! One problem found in a file, at a location.
struct Diagnostic {
    Location location;
    std::string message;

    //! "file:line:col: message".
    std::string ToString() const;
};

using Diagnostics = std::vector<Diagnostic>;

//! Sorts by position (stable, so problems found at one place keep their order).
void SortByLocation(Diagnostics& diagnostics);

} // namespace kith
