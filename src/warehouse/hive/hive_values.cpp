#include "warehouse/hive/hive_values.hpp"

#include "common/text.hpp"
#include "warehouse/canonical.hpp"
#include "warehouse/postgres_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace kith::warehouse::hive {

using rpc::TTypeId;

namespace {

using text::Upper;

std::string TrimDecimal(std::string_view text) {
    std::string s(text);
    if (s.find_first_of("eE") != std::string::npos) return s; // scientific notation: left as the engine wrote it
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
    }
    if (s == "-0") s = "0";
    return s;
}

template <class Values, class Convert>
void AppendColumn(const Values& values, const std::string& nulls, size_t column, size_t skip,
                  std::vector<std::vector<Cell>>& out, size_t first_row, Convert convert) {
    for (size_t i = skip; i < values.size(); ++i) {
        auto& cell = out[first_row + i - skip][column];
        if (IsNull(nulls, i)) {
            cell.reset();
        } else {
            cell = convert(values[i]);
        }
    }
}

} // namespace

DataType MapTypeName(std::string_view engine_type) {
    std::string t = Upper(engine_type);
    if (auto paren = t.find('('); paren != std::string::npos) t = t.substr(0, paren);
    while (!t.empty() && t.back() == ' ') t.pop_back();
    static const std::pair<const char*, DataType> kTypes[] = {
        {"TINYINT", DataType::NUMBER},   {"BYTE", DataType::NUMBER},       {"SMALLINT", DataType::NUMBER},
        {"SHORT", DataType::NUMBER},     {"INT", DataType::NUMBER},        {"INTEGER", DataType::NUMBER},
        {"BIGINT", DataType::NUMBER},    {"LONG", DataType::NUMBER},       {"FLOAT", DataType::NUMBER},
        {"REAL", DataType::NUMBER},      {"DOUBLE", DataType::NUMBER},     {"DECIMAL", DataType::NUMBER},
        {"DEC", DataType::NUMBER},       {"NUMERIC", DataType::NUMBER},    {"STRING", DataType::STRING},
        {"VARCHAR", DataType::STRING},   {"CHAR", DataType::STRING},       {"BOOLEAN", DataType::BOOLEAN},
        {"DATE", DataType::DATE},        {"TIME", DataType::TIME},         {"TIMESTAMP", DataType::TIMESTAMP},
        {"TIMESTAMP_LTZ", DataType::TIMESTAMP}, {"TIMESTAMP_NTZ", DataType::TIMESTAMP},
    };
    for (const auto& [name, type] : kTypes) {
        if (t == name) return type;
    }
    return DataType::OTHER;
}

ColumnDef StorageOf(std::string name, std::string_view engine_type) {
    ColumnDef def{std::move(name), StorageType::TEXT, 0, 0};
    std::string t = Upper(engine_type);
    std::string base = t.substr(0, t.find('('));
    while (!base.empty() && base.back() == ' ') base.pop_back();
    if (base == "TINYINT" || base == "BYTE" || base == "SMALLINT" || base == "SHORT") {
        def.type = StorageType::SMALLINT;
    } else if (base == "INT" || base == "INTEGER") {
        def.type = StorageType::INTEGER;
    } else if (base == "BIGINT" || base == "LONG") {
        def.type = StorageType::BIGINT;
    } else if (base == "FLOAT" || base == "REAL") {
        def.type = StorageType::REAL;
    } else if (base == "DOUBLE") {
        def.type = StorageType::DOUBLE;
    } else if (base == "DECIMAL" || base == "DEC" || base == "NUMERIC") {
        def.type = StorageType::DECIMAL;
        def.precision = 10; // Spark's DECIMAL without arguments is DECIMAL(10,0)
        if (auto open = t.find('('); open != std::string::npos) {
            int p = 0, sc = 0;
            if (std::sscanf(t.c_str() + open, "(%d,%d)", &p, &sc) >= 1 || std::sscanf(t.c_str() + open, "( %d , %d )", &p, &sc) >= 1) {
                def.precision = p;
                def.scale = sc;
            }
        }
    } else if (base == "BOOLEAN") {
        def.type = StorageType::BOOLEAN;
    } else if (base == "DATE") {
        def.type = StorageType::DATE;
    } else if (base == "TIMESTAMP_NTZ") {
        def.type = StorageType::TIMESTAMP;
    } else if (base == "TIMESTAMP" || base == "TIMESTAMP_LTZ") {
        def.type = StorageType::TIMESTAMPTZ;
    }
    return def;
}

TTypeId::type TopTypeId(const rpc::TTypeDesc& desc) {
    if (desc.types.empty() || !desc.types[0].__isset.primitiveEntry) {
        if (!desc.types.empty()) {
            const auto& e = desc.types[0];
            if (e.__isset.arrayEntry) return TTypeId::ARRAY_TYPE;
            if (e.__isset.mapEntry) return TTypeId::MAP_TYPE;
            if (e.__isset.structEntry) return TTypeId::STRUCT_TYPE;
            if (e.__isset.unionEntry) return TTypeId::UNION_TYPE;
            if (e.__isset.userDefinedTypeEntry) return TTypeId::USER_DEFINED_TYPE;
        }
        return TTypeId::STRING_TYPE;
    }
    return desc.types[0].primitiveEntry.type;
}

std::string TypeName(const rpc::TTypeDesc& desc) {
    TTypeId::type id = TopTypeId(desc);
    std::string name;
    switch (id) {
    case TTypeId::BOOLEAN_TYPE: name = "BOOLEAN"; break;
    case TTypeId::TINYINT_TYPE: name = "TINYINT"; break;
    case TTypeId::SMALLINT_TYPE: name = "SMALLINT"; break;
    case TTypeId::INT_TYPE: name = "INT"; break;
    case TTypeId::BIGINT_TYPE: name = "BIGINT"; break;
    case TTypeId::FLOAT_TYPE: name = "FLOAT"; break;
    case TTypeId::DOUBLE_TYPE: name = "DOUBLE"; break;
    case TTypeId::STRING_TYPE: name = "STRING"; break;
    case TTypeId::TIMESTAMP_TYPE: name = "TIMESTAMP"; break;
    case TTypeId::BINARY_TYPE: name = "BINARY"; break;
    case TTypeId::ARRAY_TYPE: name = "ARRAY"; break;
    case TTypeId::MAP_TYPE: name = "MAP"; break;
    case TTypeId::STRUCT_TYPE: name = "STRUCT"; break;
    case TTypeId::UNION_TYPE: name = "UNIONTYPE"; break;
    case TTypeId::USER_DEFINED_TYPE: name = "USER_DEFINED"; break;
    case TTypeId::DECIMAL_TYPE: name = "DECIMAL"; break;
    case TTypeId::NULL_TYPE: name = "VOID"; break;
    case TTypeId::DATE_TYPE: name = "DATE"; break;
    case TTypeId::VARCHAR_TYPE: name = "VARCHAR"; break;
    case TTypeId::CHAR_TYPE: name = "CHAR"; break;
    case TTypeId::INTERVAL_YEAR_MONTH_TYPE: name = "INTERVAL YEAR TO MONTH"; break;
    case TTypeId::INTERVAL_DAY_TIME_TYPE: name = "INTERVAL DAY TO SECOND"; break;
    case TTypeId::TIMESTAMPTZ_TYPE: name = "TIMESTAMP WITH TIME ZONE"; break;
    default: name = fmt::format("TYPE {}", static_cast<int>(id)); break;
    }
    if (!desc.types.empty() && desc.types[0].__isset.primitiveEntry &&
        desc.types[0].primitiveEntry.__isset.typeQualifiers) {
        const auto& q = desc.types[0].primitiveEntry.typeQualifiers.qualifiers;
        auto number = [&](const char* key) -> std::optional<int> {
            auto it = q.find(key);
            if (it == q.end() || !it->second.__isset.i32Value) return std::nullopt;
            return it->second.i32Value;
        };
        if (id == TTypeId::DECIMAL_TYPE) {
            if (auto p = number("precision")) name += fmt::format("({},{})", *p, number("scale").value_or(0));
        } else if (id == TTypeId::VARCHAR_TYPE || id == TTypeId::CHAR_TYPE) {
            if (auto n = number("characterMaximumLength")) name += fmt::format("({})", *n);
        }
    }
    return name;
}

std::vector<Column> ResultColumns(const rpc::TTableSchema& schema) {
    std::vector<Column> columns;
    columns.reserve(schema.columns.size());
    for (const auto& c : schema.columns) {
        Column column{c.columnName, TypeName(c.typeDesc), DataType::OTHER};
        column.type = MapTypeName(column.engine_type);
        if (TopTypeId(c.typeDesc) == TTypeId::TIMESTAMPTZ_TYPE) column.type = DataType::TIMESTAMP;
        if (TopTypeId(c.typeDesc) == TTypeId::NULL_TYPE) column.type = DataType::OTHER;
        columns.push_back(std::move(column));
    }
    return columns;
}

std::string CanonicalText(TTypeId::type type, std::string_view text) {
    switch (type) {
    case TTypeId::DECIMAL_TYPE:
        return TrimDecimal(text);
    case TTypeId::TIMESTAMP_TYPE:
    case TTypeId::TIMESTAMPTZ_TYPE: {
        // "YYYY-MM-DD HH:MM:SS[.f]" in the session time zone (UTC); an offset, when one is written, is applied.
        int64_t micros = 0;
        std::string_view t = text;
        if (t.ends_with('Z')) t.remove_suffix(1);
        if (!pg::ParseTimestamp(t, micros)) return std::string(text);
        return canonical::TimestampMicros(micros);
    }
    case TTypeId::BOOLEAN_TYPE:
        return text == "TRUE" || text == "true" ? "true" : text == "FALSE" || text == "false" ? "false"
                                                                                             : std::string(text);
    case TTypeId::FLOAT_TYPE:
    case TTypeId::DOUBLE_TYPE:
        return std::string(text);
    default:
        break;
    }
    return std::string(text);
}

size_t RowCount(const rpc::TRowSet& rows) {
    if (rows.columns.empty()) return rows.rows.size();
    const rpc::TColumn& c = rows.columns[0];
    if (c.__isset.boolVal) return c.boolVal.values.size();
    if (c.__isset.byteVal) return c.byteVal.values.size();
    if (c.__isset.i16Val) return c.i16Val.values.size();
    if (c.__isset.i32Val) return c.i32Val.values.size();
    if (c.__isset.i64Val) return c.i64Val.values.size();
    if (c.__isset.doubleVal) return c.doubleVal.values.size();
    if (c.__isset.stringVal) return c.stringVal.values.size();
    if (c.__isset.binaryVal) return c.binaryVal.values.size();
    return 0;
}

Status AppendRows(const rpc::TRowSet& rows, const std::vector<TTypeId::type>& types,
                  std::vector<std::vector<Cell>>& out, size_t skip) {
    if (rows.columns.empty()) {
        if (!rows.rows.empty()) {
            return Fail(ErrorCode::WAREHOUSE, "the server sent row-based results; kith needs protocol V6 or later");
        }
        return {};
    }
    if (rows.columns.size() != types.size()) {
        return Fail(ErrorCode::WAREHOUSE, fmt::format("the server sent {} columns for a result of {}",
                                                      rows.columns.size(), types.size()));
    }
    size_t n = RowCount(rows);
    if (skip >= n) return {};
    size_t first = out.size();
    out.resize(first + n - skip, std::vector<Cell>(types.size()));
    for (size_t c = 0; c < types.size(); ++c) {
        const rpc::TColumn& col = rows.columns[c];
        TTypeId::type type = types[c];
        if (col.__isset.boolVal) {
            if (col.boolVal.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            AppendColumn(col.boolVal.values, col.boolVal.nulls, c, skip, out, first,
                         [](bool v) { return std::string(v ? "true" : "false"); });
        } else if (col.__isset.byteVal) {
            if (col.byteVal.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            AppendColumn(col.byteVal.values, col.byteVal.nulls, c, skip, out, first,
                         [](int8_t v) { return std::to_string(static_cast<int>(v)); });
        } else if (col.__isset.i16Val) {
            if (col.i16Val.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            AppendColumn(col.i16Val.values, col.i16Val.nulls, c, skip, out, first,
                         [](int16_t v) { return std::to_string(v); });
        } else if (col.__isset.i32Val) {
            if (col.i32Val.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            AppendColumn(col.i32Val.values, col.i32Val.nulls, c, skip, out, first,
                         [](int32_t v) { return std::to_string(v); });
        } else if (col.__isset.i64Val) {
            if (col.i64Val.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            AppendColumn(col.i64Val.values, col.i64Val.nulls, c, skip, out, first,
                         [](int64_t v) { return std::to_string(v); });
        } else if (col.__isset.doubleVal) {
            if (col.doubleVal.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            // A FLOAT column's value is the float it holds, widened: what DuckDB's driver prints for a FLOAT
            // (Spark sends 1.1f as the double 1.1).
            bool single = type == TTypeId::FLOAT_TYPE;
            AppendColumn(col.doubleVal.values, col.doubleVal.nulls, c, skip, out, first, [single](double v) {
                return canonical::Double(single ? static_cast<double>(static_cast<float>(v)) : v);
            });
        } else if (col.__isset.stringVal) {
            if (col.stringVal.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            AppendColumn(col.stringVal.values, col.stringVal.nulls, c, skip, out, first,
                         [type](const std::string& v) { return CanonicalText(type, v); });
        } else if (col.__isset.binaryVal) {
            if (col.binaryVal.values.size() != n) return Fail(ErrorCode::WAREHOUSE, "ragged row set from the server");
            AppendColumn(col.binaryVal.values, col.binaryVal.nulls, c, skip, out, first,
                         [](const std::string& v) { return v; });
        } else {
            return Fail(ErrorCode::WAREHOUSE, fmt::format("column {} of the row set has no values", c + 1));
        }
    }
    return {};
}

} // namespace kith::warehouse::hive
