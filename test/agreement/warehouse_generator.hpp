// Random adversarial warehouses for the engine-agreement test: SQL text laid
// out exactly like test/fixture/warehouse.sql (same schemas, tables, columns
// and types, so test/fixture/graph.hcl applies), deterministic per seed and
// portable to DuckDB and PostgreSQL. The data is small (a few dozen profiles
// and entities) and full of what audiences.md has rules for: NULLs, several
// identifiers matching one entity, duplicate primary keys, merges (chains,
// several rows per segment_id), seq ties, malformed typed trait text,
// timestamps exactly at T and at T - window, strings with % _ \ ' and
// unicode, duplicated event ids, events after T.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kith::agreement {

//! The evaluation time of generated cases: 2026-01-01T00:00:00Z as UTC microseconds (the fixture's T).
int64_t AsOfMicros();

//! A window length N·U; the generated events sit exactly on T - N·U (and one microsecond either side) for each.
struct WindowSpan {
    int64_t value;
    const char* unit; //!< "minutes", "hours", "days" or "weeks"
    int64_t Micros() const;
};

//! The window lengths the warehouse puts boundary events on and the audience generator favours.
const std::vector<WindowSpan>& BoundaryWindows();

//! CREATE SCHEMA / CREATE TABLE / INSERT statements of a random warehouse, the same text for the same seed.
//! Identifiers are double-quoted so that upper-case column names survive PostgreSQL's case folding.
std::string GenerateWarehouseSql(uint64_t seed);

} // namespace kith::agreement
