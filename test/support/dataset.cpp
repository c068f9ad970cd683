#include "support/dataset.hpp"

#include "sql/printer.hpp"
#include "warehouse/copy.hpp"

#include <fmt/format.h>

namespace kith::test {

namespace {

const warehouse::TableName kMarker{"", "kith_test_dataset", "current"};

Result<std::string> Loaded(warehouse::Warehouse& wh) {
    auto columns = wh.DescribeTable(kMarker);
    if (!columns) return std::unexpected(columns.error());
    if (!*columns) return std::string();
    sql::Select s;
    s.From(sql::Table(kMarker, "m")).Item(sql::Col("m", "name"), "name");
    auto rows = warehouse::QueryAll(wh, sql::Print(s, wh.sql_dialect()));
    if (!rows) return std::unexpected(rows.error());
    if (rows->size() != 1 || !(*rows)[0][0]) return std::string();
    return *(*rows)[0][0];
}

} // namespace

std::string Fingerprint(const std::string& text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return fmt::format("{:016x}", h);
}

Status ForgetDataset(warehouse::Warehouse& target) {
    return target.Execute(sql::Print(sql::DropTable{kMarker}, target.sql_dialect()));
}

Status LoadDataset(warehouse::Warehouse& target, warehouse::Warehouse& source, const std::string& dataset) {
    auto loaded = Loaded(target);
    if (!loaded) return std::unexpected(loaded.error());
    if (*loaded == dataset) return {};
    const sql::Dialect& d = target.sql_dialect();
    // Forget the marker first: a load that fails halfway must not pass for a complete one.
    if (auto ok = target.Execute(sql::Print(sql::CreateSchema{kMarker.schema}, d)); !ok) return ok;
    if (auto ok = target.Execute(sql::Print(sql::DropTable{kMarker}, d)); !ok) return ok;
    if (auto ok = warehouse::CopySchemas(source, target, {}, {}); !ok) return ok;
    schema::ColumnDef name{"name", schema::StorageType::TEXT};
    if (auto ok = target.CreateTable(kMarker, std::vector<schema::ColumnDef>{name}); !ok) return ok;
    return target.Execute(sql::Print(sql::InsertValues{kMarker, {"name"}, {{sql::StorageValue(dataset, name)}}}, d));
}

Status LoadFixtureDataset(warehouse::Warehouse& target, warehouse::Warehouse& source, const std::string& fixture_sql) {
    return LoadDataset(target, source, "golden-" + Fingerprint(fixture_sql));
}

} // namespace kith::test
