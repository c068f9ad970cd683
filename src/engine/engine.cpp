#include "engine/engine.hpp"

#include "audience/typed_text.hpp"
#include "sql/printer.hpp"

#include <algorithm>
#include <chrono>

namespace kith::engine {

Result<const sql::Dialect*> DialectOf(const warehouse::Warehouse& warehouse) {
    const sql::Dialect* d = sql::Dialect::Find(warehouse.dialect());
    if (!d) return Fail(ErrorCode::USAGE, "no SQL dialect for engine " + std::string(warehouse.dialect()));
    return d;
}

std::string SqlText(const plan::Compiled& compiled, const sql::Dialect& dialect) { return sql::Print(compiled.query, dialect); }

Result<int64_t> ParseAsOf(const std::string& text) {
    if (text.empty() || text == "now") {
        auto now = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
        return static_cast<int64_t>(now.time_since_epoch().count());
    }
    if (auto t = audience::ParseTimestamp(text)) return *t;
    if (auto d = audience::ParseDate(text)) return *d * 86400LL * 1000000LL;
    return Fail(ErrorCode::USAGE, "--as-of takes an ISO 8601 timestamp such as 2026-01-01T00:00:00Z, found " + text);
}

Status Session::Members(const audience::Audience& audience, int64_t as_of, const MemberSink& sink) {
    auto dialect = DialectOf(warehouse);
    if (!dialect) return std::unexpected(dialect.error());
    plan::Options options;
    options.as_of_micros = as_of;
    auto compiled = plan::CompileMembers(graph, audience, options, catalog);
    if (!compiled) return std::unexpected(compiled.error());
    auto stream = warehouse.Query(SqlText(*compiled, **dialect));
    if (!stream) return std::unexpected(stream.error());
    warehouse::Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) return {};
        for (const auto& row : chunk.rows) {
            if (!sink(row[0].value_or(""))) return {};
        }
    }
}

Status Session::Entities(const audience::Audience& audience, int64_t as_of, const EntitySink& sink) {
    auto dialect = DialectOf(warehouse);
    if (!dialect) return std::unexpected(dialect.error());
    plan::Options options;
    options.as_of_micros = as_of;
    auto compiled = plan::CompileEntities(graph, audience, options, catalog);
    if (!compiled) return std::unexpected(compiled.error());
    auto stream = warehouse.Query(SqlText(*compiled, **dialect));
    if (!stream) return std::unexpected(stream.error());
    // Rows arrive sorted by (profile, relationship); keys within one group are sorted here, so at most
    // one profile's entities of one relationship are held at a time.
    std::vector<MatchedEntity> group;
    bool stop = false;
    auto flush = [&]() {
        std::sort(group.begin(), group.end(), [](const MatchedEntity& a, const MatchedEntity& b) { return a.primary_key < b.primary_key; });
        for (const auto& e : group) {
            if (!stop && !sink(e)) stop = true;
        }
        group.clear();
    };
    warehouse::Chunk chunk;
    while (!stop) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        for (const auto& row : chunk.rows) {
            MatchedEntity e{row[0].value_or(""), row[1].value_or(""), ""};
            for (size_t i = 2; i < row.size(); ++i) {
                if (row[i]) e.primary_key = *row[i];
            }
            if (!group.empty() && (group[0].profile != e.profile || group[0].relationship != e.relationship)) flush();
            group.push_back(std::move(e));
        }
    }
    flush();
    return {};
}

} // namespace kith::engine
