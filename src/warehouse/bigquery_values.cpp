#include "warehouse/bigquery_values.hpp"

#include "common/text.hpp"
#include "warehouse/canonical.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace kith::warehouse::bigquery {

using nlohmann::json;

namespace {

using text::Upper;

// The name without qualifiers, upper case: "numeric(10, 2)" -> "NUMERIC", "ARRAY<INT64>" -> "ARRAY".
std::string BaseName(std::string_view type) {
    size_t end = type.find_first_of("(<");
    std::string_view base = type.substr(0, end);
    while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
    while (!base.empty() && base.front() == ' ') base.remove_prefix(1);
    return Upper(base);
}

Kind KindOf(std::string_view type) {
    std::string base = BaseName(type);
    if (base == "INTEGER" || base == "INT64" || base == "INT" || base == "SMALLINT" || base == "BIGINT" ||
        base == "TINYINT" || base == "BYTEINT") {
        return Kind::INTEGER;
    }
    if (base == "FLOAT" || base == "FLOAT64") return Kind::FLOAT;
    if (base == "NUMERIC" || base == "BIGNUMERIC" || base == "DECIMAL" || base == "BIGDECIMAL") return Kind::NUMERIC;
    if (base == "BOOLEAN" || base == "BOOL") return Kind::BOOLEAN;
    if (base == "STRING") return Kind::STRING;
    if (base == "DATE") return Kind::DATE;
    if (base == "TIME") return Kind::TIME;
    if (base == "DATETIME") return Kind::DATETIME;
    if (base == "TIMESTAMP") return Kind::TIMESTAMP;
    return Kind::OTHER;
}

// GoogleSQL's name of a schema field's (legacy) type name.
std::string GoogleSqlName(std::string_view legacy) {
    std::string t = Upper(legacy);
    if (t == "INTEGER") return "INT64";
    if (t == "FLOAT") return "FLOAT64";
    if (t == "BOOLEAN") return "BOOL";
    if (t == "RECORD") return "STRUCT";
    return t;
}

// "-12.50" -> "-12.5", "3.000" -> "3", "-0.00" -> "0", "+1" -> "1"; text that is not a plain decimal stays.
std::string TrimDecimal(std::string_view text) {
    std::string s(text);
    if (s.empty()) return s;
    size_t digits_from = s[0] == '-' || s[0] == '+' ? 1 : 0;
    if (s.size() == digits_from || s.find_first_not_of("0123456789.", digits_from) != std::string::npos ||
        std::count(s.begin(), s.end(), '.') > 1) {
        return s;
    }
    if (s[0] == '+') s.erase(0, 1);
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
    }
    // Leading zeros of the integral part ("007" -> "7", "-.5" stays as BigQuery never sends it).
    bool negative = !s.empty() && s[0] == '-';
    size_t from = negative ? 1 : 0;
    while (s.size() > from + 1 && s[from] == '0' && s[from + 1] != '.') s.erase(from, 1);
    if (s == "-0" || s.empty() || s == "-") s = "0";
    return s;
}

std::string FloatText(std::string_view text) {
    if (text == "NaN") return canonical::Double(std::nan(""));
    if (text == "Infinity" || text == "+Infinity") return canonical::Double(HUGE_VAL);
    if (text == "-Infinity") return canonical::Double(-HUGE_VAL);
    std::string_view s = text;
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::string(text);
    return canonical::Double(v);
}

bool Digits(std::string_view s, size_t n, int32_t& out) {
    if (s.size() != n) return false;
    int32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

// "YYYY-MM-DD" (four-digit years, as BigQuery's range 0001..9999 has).
bool ParseDate(std::string_view s, int32_t& y, int32_t& m, int32_t& d) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    if (!Digits(s.substr(0, 4), 4, y) || !Digits(s.substr(5, 2), 2, m) || !Digits(s.substr(8, 2), 2, d)) return false;
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

// "HH:MM:SS[.f{1,9}]": the fraction cut to microseconds.
bool ParseTime(std::string_view s, int32_t& h, int32_t& mi, int32_t& sec, int32_t& micros) {
    if (s.size() < 8 || s[2] != ':' || s[5] != ':') return false;
    if (!Digits(s.substr(0, 2), 2, h) || !Digits(s.substr(3, 2), 2, mi) || !Digits(s.substr(6, 2), 2, sec)) return false;
    if (h > 23 || mi > 59 || sec > 59) return false;
    micros = 0;
    std::string_view rest = s.substr(8);
    if (!rest.empty()) {
        if (rest[0] != '.' || rest.size() < 2) return false;
        std::string_view fraction = rest.substr(1);
        if (fraction.find_first_not_of("0123456789") != std::string_view::npos || fraction.size() > 9) return false;
        for (size_t i = 0; i < 6; ++i) micros = micros * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    }
    return true;
}

std::string DateText(std::string_view text) {
    int32_t y = 0, m = 0, d = 0;
    if (!ParseDate(text, y, m, d)) return std::string(text);
    return canonical::Date(y, m, d);
}

std::string TimeText(std::string_view text) {
    int32_t h = 0, mi = 0, s = 0, us = 0;
    if (!ParseTime(text, h, mi, s, us)) return std::string(text);
    return canonical::Time(h, mi, s, us);
}

// "YYYY-MM-DDTHH:MM:SS[.ffffff]" (or a space between): the wall clock read as UTC.
std::string DatetimeText(std::string_view text) {
    if (text.size() < 19 || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) return std::string(text);
    int32_t y = 0, m = 0, d = 0, h = 0, mi = 0, s = 0, us = 0;
    if (!ParseDate(text.substr(0, 10), y, m, d) || !ParseTime(text.substr(11), h, mi, s, us)) {
        return std::string(text);
    }
    int64_t days = canonical::DaysFromCivil(y, m, d);
    int64_t micros = ((days * 24 + h) * 60 + mi) * 60 * int64_t(1000000) + int64_t(s) * 1000000 + us;
    return canonical::TimestampMicros(micros);
}

// Microseconds since the epoch ("1700000000000000"), or seconds as BigQuery prints a double ("1.7E9", "1.5").
std::string TimestampText(std::string_view text) {
    std::string_view s = text;
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    if (s.find_first_of(".eE") == std::string_view::npos) {
        int64_t micros = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), micros);
        if (ec != std::errc() || end != s.data() + s.size()) return std::string(text);
        return canonical::TimestampMicros(micros);
    }
    double seconds = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(seconds)) return std::string(text);
    return canonical::TimestampMicros(static_cast<int64_t>(std::floor(seconds * 1e6 + 0.5)));
}

// A nested value (an ARRAY's or STRUCT's) as plain JSON: [1, 2] / {"a": ...}, scalars as canonical text.
json Plain(const FieldType& type, const json& v, bool element) {
    if (v.is_null()) return nullptr;
    if (type.repeated && !element) {
        json out = json::array();
        if (v.is_array()) {
            for (const auto& item : v) out.push_back(Plain(type, item.is_object() && item.contains("v") ? item["v"] : item, true));
        }
        return out;
    }
    if (type.record) {
        json out = json::object();
        if (v.is_object() && v.contains("f") && v["f"].is_array()) {
            const json& f = v["f"];
            for (size_t i = 0; i < f.size() && i < type.fields.size(); ++i) {
                const json& cell = f[i].is_object() && f[i].contains("v") ? f[i]["v"] : json();
                out[type.field_names[i]] = Plain(type.fields[i], cell, false);
            }
        }
        return out;
    }
    if (v.is_string()) return CanonicalText(type, v.get_ref<const std::string&>());
    return v;
}

} // namespace

DataType MapTypeName(std::string_view engine_type) {
    switch (KindOf(engine_type)) {
    case Kind::INTEGER:
    case Kind::FLOAT:
    case Kind::NUMERIC:
        return DataType::NUMBER;
    case Kind::BOOLEAN:
        return DataType::BOOLEAN;
    case Kind::STRING:
        return DataType::STRING;
    case Kind::DATE:
        return DataType::DATE;
    case Kind::TIME:
        return DataType::TIME;
    case Kind::DATETIME:
    case Kind::TIMESTAMP:
        return DataType::TIMESTAMP;
    case Kind::OTHER:
        break;
    }
    return DataType::OTHER;
}

FieldType FieldTypeOf(const json& field) {
    FieldType t;
    std::string legacy = field.is_object() && field.contains("type") && field["type"].is_string()
                             ? field["type"].get<std::string>()
                             : "STRING";
    std::string mode = field.is_object() && field.contains("mode") && field["mode"].is_string()
                           ? Upper(field["mode"].get<std::string>())
                           : "NULLABLE";
    std::string name = GoogleSqlName(legacy);
    t.repeated = mode == "REPEATED";
    t.record = name == "STRUCT";
    t.kind = t.repeated || t.record ? Kind::OTHER : KindOf(name);
    // Parameterized types (NUMERIC(10, 2), STRING(20)) carry their qualifiers in the schema.
    auto text = [&](const char* key) -> std::string {
        if (!field.is_object() || !field.contains(key)) return {};
        const json& v = field[key];
        if (v.is_string()) return v.get<std::string>();
        if (v.is_number_integer()) return std::to_string(v.get<long long>());
        return {};
    };
    std::string precision = text("precision"), scale = text("scale"), max_length = text("maxLength");
    if (t.record) {
        std::vector<std::string> parts;
        if (field.contains("fields") && field["fields"].is_array()) {
            for (const auto& sub : field["fields"]) {
                std::string sub_name = sub.is_object() && sub.contains("name") && sub["name"].is_string()
                                           ? sub["name"].get<std::string>()
                                           : "";
                t.field_names.push_back(sub_name);
                t.fields.push_back(FieldTypeOf(sub));
                parts.push_back(sub_name + " " + t.fields.back().type);
            }
        }
        name = fmt::format("STRUCT<{}>", fmt::join(parts, ", "));
    } else if (!precision.empty()) {
        name += scale.empty() ? fmt::format("({})", precision) : fmt::format("({}, {})", precision, scale);
    } else if (!max_length.empty()) {
        name += fmt::format("({})", max_length);
    }
    t.type = t.repeated ? "ARRAY<" + name + ">" : name;
    return t;
}

Column ColumnOf(std::string name, const FieldType& type) {
    Column c{std::move(name), type.type, DataType::OTHER};
    c.type = type.repeated || type.record ? DataType::OTHER : MapTypeName(type.type);
    return c;
}

Result<std::vector<std::pair<Column, FieldType>>> ParseSchema(const json& schema) {
    std::vector<std::pair<Column, FieldType>> out;
    if (schema.is_null()) return out;
    if (!schema.is_object()) return Fail(ErrorCode::WAREHOUSE, "the result's schema is not an object", "bigquery");
    auto it = schema.find("fields");
    if (it == schema.end() || it->is_null()) return out;
    if (!it->is_array()) return Fail(ErrorCode::WAREHOUSE, "the result's schema.fields is not an array", "bigquery");
    for (const auto& field : *it) {
        if (!field.is_object() || !field.contains("name") || !field["name"].is_string()) {
            return Fail(ErrorCode::WAREHOUSE, "a schema field without a name: " + field.dump(), "bigquery");
        }
        FieldType type = FieldTypeOf(field);
        Column column = ColumnOf(field["name"].get<std::string>(), type);
        out.emplace_back(std::move(column), std::move(type));
    }
    return out;
}

std::string CanonicalText(const FieldType& type, std::string_view text) {
    switch (type.kind) {
    case Kind::INTEGER:
        return TrimDecimal(text);
    case Kind::FLOAT:
        return FloatText(text);
    case Kind::NUMERIC:
        return TrimDecimal(text);
    case Kind::BOOLEAN: {
        std::string upper = Upper(text);
        if (upper == "TRUE") return "true";
        if (upper == "FALSE") return "false";
        return std::string(text);
    }
    case Kind::DATE:
        return DateText(text);
    case Kind::TIME:
        return TimeText(text);
    case Kind::DATETIME:
        return DatetimeText(text);
    case Kind::TIMESTAMP:
        return TimestampText(text);
    case Kind::STRING:
    case Kind::OTHER:
        break;
    }
    return std::string(text);
}

Cell CellOf(const FieldType& type, const json& v) {
    if (v.is_null()) return std::nullopt;
    if (type.repeated || type.record) return Plain(type, v, false).dump(-1, ' ', false, json::error_handler_t::replace);
    if (v.is_string()) return CanonicalText(type, v.get_ref<const std::string&>());
    return v.dump();
}

Status AppendRows(const json& rows, const std::vector<FieldType>& types, std::vector<std::vector<Cell>>& out) {
    if (rows.is_null()) return {};
    if (!rows.is_array()) return Fail(ErrorCode::WAREHOUSE, "the result's rows are not an array", "bigquery");
    out.reserve(out.size() + rows.size());
    for (const auto& row : rows) {
        const json* f = row.is_object() && row.contains("f") ? &row["f"] : nullptr;
        if (f == nullptr || !f->is_array() || f->size() != types.size()) {
            return Fail(ErrorCode::WAREHOUSE,
                        fmt::format("a result row with {} cells where the schema has {} fields",
                                    f && f->is_array() ? f->size() : 0, types.size()),
                        "bigquery");
        }
        std::vector<Cell> cells;
        cells.reserve(types.size());
        for (size_t i = 0; i < types.size(); ++i) {
            const json& cell = (*f)[i];
            cells.push_back(CellOf(types[i], cell.is_object() && cell.contains("v") ? cell["v"] : json()));
        }
        out.push_back(std::move(cells));
    }
    return {};
}

ColumnDef StorageOf(std::string name, std::string_view engine_type) {
    ColumnDef d{std::move(name), StorageType::TEXT, 0, 0};
    std::string base = BaseName(engine_type);
    if (engine_type.find('<') != std::string_view::npos) return d; // ARRAY<...>, STRUCT<...>
    if (base == "INT64" || base == "INTEGER" || base == "INT" || base == "BIGINT" || base == "SMALLINT" ||
        base == "TINYINT" || base == "BYTEINT") {
        d.type = StorageType::BIGINT;
    } else if (base == "FLOAT64" || base == "FLOAT") {
        d.type = StorageType::DOUBLE;
    } else if (base == "NUMERIC" || base == "DECIMAL" || base == "BIGNUMERIC" || base == "BIGDECIMAL") {
        d.type = StorageType::DECIMAL;
        bool big = base == "BIGNUMERIC" || base == "BIGDECIMAL";
        d.precision = big ? 76 : 38;
        d.scale = big ? 38 : 9;
        if (auto open = engine_type.find('('); open != std::string_view::npos) {
            std::string_view args = engine_type.substr(open + 1);
            args = args.substr(0, args.find(')'));
            int p = 0, s = 0;
            auto comma = args.find(',');
            std::string_view ps = args.substr(0, comma);
            while (!ps.empty() && ps.front() == ' ') ps.remove_prefix(1);
            std::from_chars(ps.data(), ps.data() + ps.size(), p);
            if (comma != std::string_view::npos) {
                std::string_view ss = args.substr(comma + 1);
                while (!ss.empty() && ss.front() == ' ') ss.remove_prefix(1);
                std::from_chars(ss.data(), ss.data() + ss.size(), s);
            }
            if (p > 0) {
                d.precision = p;
                d.scale = s;
            }
        }
    } else if (base == "BOOL" || base == "BOOLEAN") {
        d.type = StorageType::BOOLEAN;
    } else if (base == "DATE") {
        d.type = StorageType::DATE;
    } else if (base == "TIME") {
        d.type = StorageType::TIME;
    } else if (base == "DATETIME") {
        d.type = StorageType::TIMESTAMP;
    } else if (base == "TIMESTAMP") {
        d.type = StorageType::TIMESTAMPTZ;
    }
    return d;
}

} // namespace kith::warehouse::bigquery
