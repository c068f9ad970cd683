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
// columns and pn numbers their profiles 1.. in bytewise order, so a page is a
// range of pn (whole profiles). While events are prepared, each table read may
// get tables <table>_lk (identifiers and traits of its profiles) and <table>_cx
// (their matched entities), keyed by pn, so reading a page never scans a
// warehouse table. They are ordinary tables of the same schema, named after
// their run (no engine keeps session state between kith's statements), dropped
// when the run ends; a later run of the audience drops what a crashed run left
// (RunOfTable). All statements, DDL included, are SQL trees printed per dialect.
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

//! The entities table's rows of a compiled entities query: seq, pn, pid, relationship, pk (the primary key as the
//! engine's text; rows without one left out), in seq order (bytewise by pid, relationship, pk).
sql::Query EntitiesQuery(const plan::Compiled& entities);

//! Statements that (re)create the run's change tables against a baseline (none: everything entered).
std::vector<std::string> DiffStatements(const SnapshotTables& current, const std::optional<SnapshotTables>& baseline,
                                        const sql::Dialect& dialect);

//! A lookup table of a change or snapshot table: "<table><suffix>" in the same schema.
sql::TableName LookupTable(const sql::TableName& table, const char* suffix);

//! Statements that drop the run's lookup tables (_lk, _cx), needed only while its events are prepared.
std::vector<std::string> DropLookupStatements(const SnapshotTables& tables, const sql::Dialect& dialect);

//! Statements that drop every table of the run, lookups included (those that exist).
std::vector<std::string> DropStatements(const SnapshotTables& tables, const sql::Dialect& dialect);

//! The audience and run a table of kith's schema belongs to ("a<audience>_r<run>_..."); nullopt for other names.
std::optional<std::pair<int64_t, int64_t>> RunOfTable(const std::string& table);

//! The identifiers (kind 'i', name = type, value = the bytewise smallest) and current trait values (kind 't')
//! of the profiles of a change or snapshot table (of the given relationships' rows, when any), with their page
//! number: CREATE TABLE <table>_lk (pn, pid, kind, name, value). One pass over the Profiles Sync tables per
//! run, however many pages are read.
std::string LookupStatement(const sql::TableName& table, const std::vector<std::string>& relationships,
                            const std::vector<std::string>& types, const std::vector<std::string>& traits,
                            const sql::TableName& identifiers, const sql::TableName& user_traits,
                            const sql::Dialect& dialect);

//! The query of LookupStatement for the profiles `profiles` lists (columns pn, pid): pn, pid, kind, name, value. At
//! least one of types and traits is not empty.
sql::Query LookupQuery(sql::Select profiles, const std::vector<std::string>& types,
                       const std::vector<std::string>& traits, const sql::TableName& identifiers,
                       const sql::TableName& user_traits);

//! One profile, as LookupQuery's `profiles`: SELECT 1 AS pn, '<pid>' AS pid.
sql::Select OneProfile(const std::string& pid);

//! The profiles (column pid, each once) with an identifier of one of `types` whose value is `value`.
sql::Query ProfilesWithIdentifierQuery(const sql::TableName& identifiers, const std::vector<std::string>& types,
                                       const std::string& value);

//! The matched entities of the profiles of a change or snapshot table, for data_graph_entity_context: those of
//! `entered_from` for entered profiles, of `exited_from` (the baseline) for exited ones:
//! CREATE TABLE <table>_cx (pn, pid, kind, relationship, pk, eseq).
std::string ContextStatement(const sql::TableName& table, bool snapshot, const sql::TableName& entered_from,
                             const std::optional<sql::TableName>& exited_from, const sql::Dialect& dialect);

//! The page index of a table kith wrote, where the dialect needs one (none otherwise).
std::vector<std::string> IndexStatements(const sql::TableName& table, const sql::Dialect& dialect);

//! CREATE SCHEMA IF NOT EXISTS.
std::string CreateSchemaStatement(const std::string& schema, const sql::Dialect& dialect);

//! Rows of profiles `pn > after AND pn <= upto` of a change table (or a snapshot table read as "entered"), in seq order:
//! profile changes give seq, kind, pid; entity changes give seq, kind, pid, relationship, pk. Entity rows are
//! restricted to the relationships given.
sql::Query PageQuery(const sql::TableName& table, bool entities, bool snapshot, int64_t after, int64_t upto,
                     const std::vector<std::string>& relationships);

//! `alias.pn > after AND alias.pn <= upto`: the rows of a page of profiles.
sql::ExprPtr PageRange(const std::string& alias, int64_t after, int64_t upto);

//! Per kind (and relationship, for entities): the number of rows and the highest page number (pn). Columns kind,
//! relationship, n, pages. A snapshot table counts as "entered".
sql::Query CountQuery(const sql::TableName& table, bool entities, bool snapshot);

} // namespace kith::run
