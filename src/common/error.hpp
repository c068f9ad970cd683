// Errors as values: every fallible kith function returns Result<T> (or Status)
// carrying an Error with a code, a message and, where it applies, a location.
//
//   Result<Graph> g = LoadGraph(path);
//   if (!g) { fmt::print(stderr, "{}\n", g.error().ToString()); return 1; }
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace kith {

//! What kind of failure an Error is; the CLI maps it to an exit code.
enum class ErrorCode {
    INVALID,   //!< the input (graph, audience, file content) breaks a rule
    USAGE,     //!< the caller asked for something malformed
    NOT_FOUND, //!< a named thing does not exist
    IO,        //!< a file could not be read or written
    WAREHOUSE, //!< the warehouse engine reported an error
    CONFLICT,  //!< the thing is busy or in another state (a run already in progress)
    INTERNAL,  //!< a bug in kith
};

//! One failure: a code, a message and an optional location (file:line:col or JSON pointer).
struct Error {
    ErrorCode code = ErrorCode::INTERNAL;
    std::string message;
    std::string location;
    //! Retrying the same request later may succeed (a warehouse that answered "busy", a dropped connection); a
    //! driver sets it on failures that its own bounded retries could not get past.
    bool transient = false;

    //! "location: message", or just the message when there is no location.
    std::string ToString() const { return location.empty() ? message : location + ": " + message; }
};

template <class T> using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

//! Builds an unexpected Error to return from a function yielding Result<T>.
inline std::unexpected<Error> Fail(ErrorCode code, std::string message, std::string location = {}) {
    return std::unexpected<Error>(Error{code, std::move(message), std::move(location)});
}

//! Process exit codes of the command-line contract (cli.md).
int ExitCodeFor(ErrorCode code);

} // namespace kith
