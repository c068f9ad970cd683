// How every kith command reports: errors and diagnostics on stderr with the exit code cli.md gives them, and the
// delivery summary `kith deliver` and `kith run` both print.
#pragma once

#include "common/diagnostic.hpp"
#include "common/error.hpp"
#include "deliver/drain.hpp"

#include <nlohmann/json.hpp>

namespace kith::cli {

//! "kith: <error>" on stderr; returns the error's exit code.
int Report(const Error& e);
//! One "file:line:col: message" (or "file: message") line per diagnostic on stderr.
void PrintDiagnostics(const Diagnostics& diagnostics);
//! result, delivered, retried, failed, filtered, pending and the held activations of a drain.
nlohmann::json DeliveryJson(const deliver::DrainReport& report);
//! One stderr line per held activation: why its events stay pending.
void PrintHeld(const deliver::DrainReport& report);

} // namespace kith::cli
