#include "schema/column.hpp"
#include "schema/table_name.hpp"

namespace kith::schema {

std::string TableName::ToString() const {
    std::string out;
    for (const std::string* part : {&database, &schema}) {
        if (!part->empty()) out += *part + ".";
    }
    return out + table;
}

std::string_view DataTypeName(DataType type) {
    switch (type) {
    case DataType::NUMBER:
        return "NUMBER";
    case DataType::STRING:
        return "STRING";
    case DataType::BOOLEAN:
        return "BOOLEAN";
    case DataType::DATE:
        return "DATE";
    case DataType::TIME:
        return "TIME";
    case DataType::TIMESTAMP:
        return "TIMESTAMP";
    case DataType::OTHER:
        return "OTHER";
    }
    return "OTHER";
}

std::string DataTypeKey(DataType type) {
    std::string key(DataTypeName(type));
    for (char& ch : key) ch = static_cast<char>(ch - 'A' + 'a'); // the names are upper-case ASCII letters
    return key;
}

} // namespace kith::schema
