// The SQL of a run's warehouse side (activations.md, "Runs"): each run writes
// its members and matched entities to tables in a schema of kith's own, and
// its changes against the baseline run are computed there, into two more
// tables; only those changes are read back, a page at a time.
//
//   <schema>.a<audience>_r<run>_members          seq, pid
//   <schema>.a<audience>_r<run>_entities         seq, pid, relationship, pk
//   <schema>.a<audience>_r<run>_profile_changes  seq, kind, pid
//   <schema>.a<audience>_r<run>_entity_changes   seq, kind, pid, relationship, pk
//
// kind is 'entered' or 'exited'; pk is the primary key cast to text by the
// engine (the diff key); seq numbers rows 1.. in bytewise order of the other
// columns, so pages are ranges of seq. All statements are SQL trees printed
// per dialect; only the DDL around them is spelled here.
#pragma once

#include "graph/model.hpp"
#include "plan/compiler.hpp"
#include "sql/ast.hpp"
#include "sql/dialect.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kith::run {

//! The warehouse tables of one run.
struct SnapshotTables {
    std::string schema;
    std::string members;
    std::string entities;
    std::string profile_changes;
    std::string entity_changes;

    static SnapshotTables For(const std::string& schema, int64_t audience_id, int64_t run_id);
    sql::TableName Table(const std::string& name) const { return {"", schema, name}; }
};

//! Statements that (re)create the run's member and entity snapshots from the compiled queries.
std::vector<std::string> SnapshotStatements(const plan::Compiled& members, const plan::Compiled& entities,
                                            const SnapshotTables& tables, const sql::Dialect& dialect);

//! Statements that (re)create the run's change tables against a baseline (none: everything entered).
std::vector<std::string> DiffStatements(const SnapshotTables& current, const std::optional<SnapshotTables>& baseline,
                                        const sql::Dialect& dialect);

//! Statements that drop the run's tables (those that exist).
std::vector<std::string> DropStatements(const SnapshotTables& tables);

//! CREATE SCHEMA IF NOT EXISTS.
std::string CreateSchemaStatement(const std::string& schema);

//! Rows `seq > after AND seq <= upto` of a change table (or a snapshot table read as "entered"), in seq order:
//! profile changes give seq, kind, pid; entity changes give seq, kind, pid, relationship, pk. Entity rows are
//! restricted to the relationships given.
sql::Query PageQuery(const sql::TableName& table, bool entities, bool snapshot, int64_t after, int64_t upto,
                     const std::vector<std::string>& relationships);

//! The pids of a page (of one kind, when given), as a subquery for IN.
sql::SelectPtr PagePids(const sql::TableName& table, bool snapshot, int64_t after, int64_t upto,
                        const std::optional<std::string>& kind);

//! Per kind (and relationship, for entities): the number of rows. Columns kind, relationship, n. A snapshot
//! table counts as "entered".
sql::Query CountQuery(const sql::TableName& table, bool entities, bool snapshot);

} // namespace kith::run
