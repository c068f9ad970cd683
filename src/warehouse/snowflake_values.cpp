#include "warehouse/snowflake_values.hpp"

#include "common/text.hpp"
#include "warehouse/canonical.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace kith::warehouse::snowflake {

namespace {

using text::Lower;
using text::Upper;

Kind KindOf(std::string_view type) {
    static const std::pair<const char*, Kind> kKinds[] = {
        {"fixed", Kind::FIXED},         {"real", Kind::REAL},
        {"text", Kind::TEXT},           {"boolean", Kind::BOOLEAN},
        {"date", Kind::DATE},           {"time", Kind::TIME},
        {"timestamp_ntz", Kind::TIMESTAMP_NTZ}, {"timestamp_ltz", Kind::TIMESTAMP_LTZ},
        {"timestamp_tz", Kind::TIMESTAMP_TZ},
    };
    for (const auto& [name, kind] : kKinds) {
        if (type == name) return kind;
    }
    return Kind::OTHER;
}

// "-12.50" -> "-12.5", "3.000" -> "3", "-0.00" -> "0"; text that is not a plain decimal stays as it is.
std::string TrimDecimal(std::string_view text) {
    std::string s(text);
    if (s.empty()) return s;
    size_t digits_from = s[0] == '-' || s[0] == '+' ? 1 : 0;
    if (s.find_first_not_of("0123456789.", digits_from) != std::string::npos) return s;
    if (s[0] == '+') s.erase(0, 1);
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
    }
    if (s == "-0" || s.empty() || s == "-") s = "0";
    return s;
}

// Exact "[-]seconds[.fraction]" as microseconds, rounded towards minus infinity; false when it has another form.
bool ParseSecondsMicros(std::string_view text, int64_t& micros) {
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    std::string_view whole = text.substr(0, text.find('.'));
    std::string_view fraction = whole.size() < text.size() ? text.substr(whole.size() + 1) : std::string_view();
    if (whole.empty() || whole.size() > 12) return false;
    if (whole.find_first_not_of("0123456789") != std::string_view::npos) return false;
    if (fraction.find_first_not_of("0123456789") != std::string_view::npos) return false;
    int64_t seconds = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
    int64_t us = 0;
    bool below_micros = false;
    for (size_t i = 0; i < fraction.size(); ++i) {
        if (i < 6) {
            us = us * 10 + (fraction[i] - '0');
        } else if (fraction[i] != '0') {
            below_micros = true;
        }
    }
    for (size_t i = fraction.size(); i < 6; ++i) us *= 10;
    int64_t total = seconds * 1000000 + us;
    if (negative) total = -total - (below_micros ? 1 : 0);
    micros = total;
    return true;
}

std::string TimeText(std::string_view text) {
    int64_t micros = 0;
    if (!ParseSecondsMicros(text, micros) || micros < 0 || micros >= int64_t(86400) * 1000000) {
        return std::string(text);
    }
    int64_t seconds = micros / 1000000;
    return canonical::Time(static_cast<int32_t>(seconds / 3600), static_cast<int32_t>(seconds / 60 % 60),
                           static_cast<int32_t>(seconds % 60), static_cast<int32_t>(micros % 1000000));
}

std::string TimestampText(std::string_view text) {
    int64_t micros = 0;
    if (!ParseSecondsMicros(text, micros)) return std::string(text);
    return canonical::TimestampMicros(micros);
}

std::string RealText(std::string_view text) {
    std::string lower = Lower(text);
    if (lower == "inf" || lower == "infinity") return canonical::Double(HUGE_VAL);
    if (lower == "-inf" || lower == "-infinity") return canonical::Double(-HUGE_VAL);
    if (lower == "nan") return canonical::Double(std::nan(""));
    double v = 0;
    std::string_view s = text;
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::string(text);
    return canonical::Double(v);
}

} // namespace

Column ColumnOf(std::string name, const ResultType& t) {
    Column c{std::move(name), "", DataType::OTHER};
    switch (t.kind) {
    case Kind::FIXED:
        c.engine_type = t.precision >= 0 ? fmt::format("NUMBER({},{})", t.precision, t.scale) : "NUMBER";
        c.type = DataType::NUMBER;
        break;
    case Kind::REAL:
        c.engine_type = "FLOAT";
        c.type = DataType::NUMBER;
        break;
    case Kind::TEXT:
        c.engine_type = "VARCHAR";
        c.type = DataType::STRING;
        break;
    case Kind::BOOLEAN:
        c.engine_type = "BOOLEAN";
        c.type = DataType::BOOLEAN;
        break;
    case Kind::DATE:
        c.engine_type = "DATE";
        c.type = DataType::DATE;
        break;
    case Kind::TIME:
        c.engine_type = "TIME";
        c.type = DataType::TIME;
        break;
    case Kind::TIMESTAMP_NTZ:
    case Kind::TIMESTAMP_LTZ:
    case Kind::TIMESTAMP_TZ:
        c.engine_type = Upper(t.type);
        c.type = DataType::TIMESTAMP;
        break;
    case Kind::OTHER:
        c.engine_type = Upper(t.type);
        break;
    }
    return c;
}

Result<std::vector<std::pair<Column, ResultType>>> ParseRowType(const nlohmann::json& row_type) {
    if (!row_type.is_array()) return Fail(ErrorCode::WAREHOUSE, "the result has no rowType", "snowflake");
    std::vector<std::pair<Column, ResultType>> out;
    for (const auto& entry : row_type) {
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("type") ||
            !entry["type"].is_string()) {
            return Fail(ErrorCode::WAREHOUSE, "a rowType entry without name or type: " + entry.dump(), "snowflake");
        }
        ResultType t;
        t.type = Lower(entry["type"].get<std::string>());
        t.kind = KindOf(t.type);
        auto number = [&](const char* key, long long fallback) {
            auto it = entry.find(key);
            return it != entry.end() && it->is_number_integer() ? it->get<long long>() : fallback;
        };
        t.precision = static_cast<int>(number("precision", -1));
        t.scale = static_cast<int>(number("scale", 0));
        t.length = number("length", -1);
        out.emplace_back(ColumnOf(entry["name"].get<std::string>(), t), t);
    }
    return out;
}

std::string CanonicalText(const ResultType& type, std::string_view text) {
    switch (type.kind) {
    case Kind::FIXED:
        return TrimDecimal(text);
    case Kind::REAL:
        return RealText(text);
    case Kind::BOOLEAN: {
        std::string lower = Lower(text);
        if (lower == "true" || lower == "1") return "true";
        if (lower == "false" || lower == "0") return "false";
        return std::string(text);
    }
    case Kind::DATE: {
        int64_t days = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), days);
        if (ec != std::errc() || end != text.data() + text.size()) return std::string(text);
        return canonical::DateFromDays(days);
    }
    case Kind::TIME:
        return TimeText(text);
    case Kind::TIMESTAMP_NTZ:
    case Kind::TIMESTAMP_LTZ:
        return TimestampText(text);
    case Kind::TIMESTAMP_TZ:
        // "seconds offset": the seconds are the UTC instant; the offset only says how to show it locally.
        return TimestampText(text.substr(0, text.find(' ')));
    case Kind::TEXT:
    case Kind::OTHER:
        break;
    }
    return std::string(text);
}

Status AppendRows(const nlohmann::json& data, const std::vector<ResultType>& types,
                  std::vector<std::vector<Cell>>& out) {
    if (data.is_null()) return {};
    if (!data.is_array()) return Fail(ErrorCode::WAREHOUSE, "the result's data is not an array", "snowflake");
    out.reserve(out.size() + data.size());
    for (const auto& row : data) {
        if (!row.is_array() || row.size() != types.size()) {
            return Fail(ErrorCode::WAREHOUSE,
                        fmt::format("a result row of {} values for {} columns", row.is_array() ? row.size() : 0,
                                    types.size()),
                        "snowflake");
        }
        std::vector<Cell> cells;
        cells.reserve(types.size());
        for (size_t i = 0; i < types.size(); ++i) {
            const auto& v = row[i];
            if (v.is_null()) {
                cells.emplace_back(std::nullopt);
            } else if (v.is_string()) {
                cells.emplace_back(CanonicalText(types[i], v.get_ref<const std::string&>()));
            } else {
                // Not what the SQL API sends, but a number or a boolean as JSON still has one text.
                cells.emplace_back(CanonicalText(types[i], v.dump()));
            }
        }
        out.push_back(std::move(cells));
    }
    return {};
}

DataType MapTypeName(std::string_view engine_type) {
    std::string t = Upper(engine_type);
    if (auto paren = t.find('('); paren != std::string::npos) t = t.substr(0, paren);
    while (!t.empty() && t.back() == ' ') t.pop_back();
    static const std::pair<const char*, DataType> kTypes[] = {
        {"NUMBER", DataType::NUMBER},         {"DECIMAL", DataType::NUMBER},       {"NUMERIC", DataType::NUMBER},
        {"INT", DataType::NUMBER},            {"INTEGER", DataType::NUMBER},       {"BIGINT", DataType::NUMBER},
        {"SMALLINT", DataType::NUMBER},       {"TINYINT", DataType::NUMBER},       {"BYTEINT", DataType::NUMBER},
        {"FLOAT", DataType::NUMBER},          {"FLOAT4", DataType::NUMBER},        {"FLOAT8", DataType::NUMBER},
        {"DOUBLE", DataType::NUMBER},         {"DOUBLE PRECISION", DataType::NUMBER}, {"REAL", DataType::NUMBER},
        {"TEXT", DataType::STRING},           {"VARCHAR", DataType::STRING},       {"CHAR", DataType::STRING},
        {"CHARACTER", DataType::STRING},      {"STRING", DataType::STRING},        {"BOOLEAN", DataType::BOOLEAN},
        {"DATE", DataType::DATE},             {"TIME", DataType::TIME},            {"DATETIME", DataType::TIMESTAMP},
        {"TIMESTAMP", DataType::TIMESTAMP},   {"TIMESTAMP_NTZ", DataType::TIMESTAMP},
        {"TIMESTAMP_LTZ", DataType::TIMESTAMP}, {"TIMESTAMP_TZ", DataType::TIMESTAMP},
    };
    for (const auto& [name, type] : kTypes) {
        if (t == name) return type;
    }
    return DataType::OTHER;
}

ColumnDef StorageOf(std::string name, const ResultType& type) {
    ColumnDef def{std::move(name), StorageType::TEXT, 0, 0};
    switch (type.kind) {
    case Kind::FIXED:
        if (type.scale == 0 && type.precision > 0 && type.precision <= 4) {
            def.type = StorageType::SMALLINT;
        } else if (type.scale == 0 && type.precision > 0 && type.precision <= 9) {
            def.type = StorageType::INTEGER;
        } else if (type.scale == 0 && type.precision > 0 && type.precision <= 18) {
            def.type = StorageType::BIGINT;
        } else {
            def.type = StorageType::DECIMAL;
            def.precision = type.precision > 0 ? type.precision : 38;
            def.scale = type.scale;
        }
        break;
    case Kind::REAL:
        def.type = StorageType::DOUBLE;
        break;
    case Kind::BOOLEAN:
        def.type = StorageType::BOOLEAN;
        break;
    case Kind::DATE:
        def.type = StorageType::DATE;
        break;
    case Kind::TIME:
        def.type = StorageType::TIME;
        break;
    case Kind::TIMESTAMP_NTZ:
        def.type = StorageType::TIMESTAMP;
        break;
    case Kind::TIMESTAMP_LTZ:
    case Kind::TIMESTAMP_TZ:
        def.type = StorageType::TIMESTAMPTZ;
        break;
    case Kind::TEXT:
    case Kind::OTHER:
        break;
    }
    return def;
}

} // namespace kith::warehouse::snowflake
