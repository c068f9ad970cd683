#include "reference/typed_value.hpp"

namespace kith::reference {

namespace {

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

// A Decimal from its sign, all its digits and the position of the decimal point within them (may lie outside).
Decimal MakeDecimal(bool negative, const std::string& digits, int64_t point) {
    // Pad with zeros so that the point lies within the digits.
    std::string all = digits;
    if (point < 0) {
        all.insert(0, static_cast<size_t>(-point), '0');
        point = 0;
    }
    if (point > static_cast<int64_t>(all.size())) all.append(static_cast<size_t>(point) - all.size(), '0');
    size_t split = static_cast<size_t>(point);
    size_t first = 0;
    while (first < split && all[first] == '0') ++first;
    size_t last = all.size();
    while (last > split && all[last - 1] == '0') --last;
    Decimal d;
    d.integer = first == split ? std::string(1, '0') : all.substr(first, split - first);
    d.fraction = all.substr(split, last - split);
    d.negative = negative && !(first == split && d.fraction.empty());
    return d;
}

} // namespace

std::optional<Decimal> ParseWarehouseNumber(std::string_view s) {
    size_t pos = 0;
    bool negative = false;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) {
        negative = s[pos] == '-';
        ++pos;
    }
    std::string digits;
    int64_t point = -1;
    size_t mantissa_digits = 0;
    while (pos < s.size() && (IsDigit(s[pos]) || s[pos] == '.')) {
        if (s[pos] == '.') {
            if (point >= 0) return std::nullopt;
            point = static_cast<int64_t>(digits.size());
        } else {
            digits += s[pos];
            ++mantissa_digits;
        }
        ++pos;
    }
    if (mantissa_digits == 0) return std::nullopt;
    if (point < 0) point = static_cast<int64_t>(digits.size());
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
        ++pos;
        bool exp_negative = false;
        if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) {
            exp_negative = s[pos] == '-';
            ++pos;
        }
        size_t start = pos;
        int64_t exponent = 0;
        while (pos < s.size() && IsDigit(s[pos])) {
            exponent = exponent * 10 + (s[pos] - '0');
            if (exponent > 100000) return std::nullopt;
            ++pos;
        }
        if (pos == start) return std::nullopt;
        point += exp_negative ? -exponent : exponent;
    }
    if (pos != s.size()) return std::nullopt;
    return MakeDecimal(negative, digits, point);
}

std::optional<Value> FromText(DataType type, std::string_view text) {
    Value v;
    v.type = type;
    switch (type) {
    case DataType::NUMBER: {
        auto d = audience::ParseNumber(text);
        if (!d) return std::nullopt;
        v.number = *d;
        return v;
    }
    case DataType::STRING:
        v.text = std::string(text);
        return v;
    case DataType::BOOLEAN: {
        auto b = audience::ParseBoolean(text);
        if (!b) return std::nullopt;
        v.scalar = *b ? 1 : 0;
        return v;
    }
    case DataType::DATE: {
        auto d = audience::ParseDate(text);
        if (!d) return std::nullopt;
        v.scalar = *d;
        return v;
    }
    case DataType::TIME: {
        auto t = audience::ParseTime(text);
        if (!t) return std::nullopt;
        v.scalar = *t;
        return v;
    }
    case DataType::TIMESTAMP: {
        auto t = audience::ParseTimestamp(text);
        if (!t) return std::nullopt;
        v.scalar = *t;
        return v;
    }
    case DataType::OTHER:
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<Value> FromWarehouse(DataType type, const warehouse::Cell& cell) {
    if (!cell) return std::nullopt;
    if (type == DataType::NUMBER) {
        auto d = ParseWarehouseNumber(*cell);
        if (!d) return std::nullopt;
        Value v;
        v.type = DataType::NUMBER;
        v.number = *d;
        return v;
    }
    // Canonical DATE, TIME, TIMESTAMP ("...Z") and BOOLEAN text are forms the text-to-type rule reads.
    return FromText(type, *cell);
}

std::optional<int> Compare(const Value& a, const Value& b) {
    if (a.type != b.type) return std::nullopt;
    switch (a.type) {
    case DataType::NUMBER:
        return a.number.Compare(b.number);
    case DataType::STRING: {
        int c = a.text.compare(b.text); // bytewise (char_traits<char> compares as unsigned char)
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case DataType::BOOLEAN:
    case DataType::DATE:
    case DataType::TIME:
    case DataType::TIMESTAMP:
        return a.scalar < b.scalar ? -1 : (a.scalar > b.scalar ? 1 : 0);
    case DataType::OTHER:
        return std::nullopt;
    }
    return std::nullopt;
}

bool Equal(const Value& a, const Value& b) {
    auto c = Compare(a, b);
    return c && *c == 0;
}

bool Passes(const audience::Filter& f, const std::optional<Value>& value, const std::optional<Value>& ref) {
    using audience::Op;
    if (f.op == Op::EXISTS) return value.has_value();
    if (f.op == Op::NOT_EXISTS) return !value.has_value();
    if (!value) return false; // NULL fails every other operator
    std::vector<Value> operands;
    if (f.ref) {
        if (!ref) return false; // a reference that is NULL or does not convert fails the filter
        operands.push_back(*ref);
    } else {
        for (const auto& c : f.values) {
            auto v = FromText(f.type, c.text);
            if (!v) return false; // cannot happen: constants are validated canonical text
            operands.push_back(*v);
        }
    }
    if (operands.empty()) return false;
    const Value& x = *value;
    const Value& y = operands[0];
    auto cmp = [&](auto pred) {
        auto c = Compare(x, y);
        return c.has_value() && pred(*c);
    };
    switch (f.op) {
    case Op::EQUALS:
        return cmp([](int c) { return c == 0; });
    case Op::NOT_EQUALS:
        return cmp([](int c) { return c != 0; });
    case Op::LESS_THAN:
        return cmp([](int c) { return c < 0; });
    case Op::GREATER_THAN:
        return cmp([](int c) { return c > 0; });
    case Op::LESS_THAN_OR_EQUAL:
        return cmp([](int c) { return c <= 0; });
    case Op::GREATER_THAN_OR_EQUAL:
        return cmp([](int c) { return c >= 0; });
    case Op::CONTAINS:
        return x.type == DataType::STRING && y.type == DataType::STRING && x.text.find(y.text) != std::string::npos;
    case Op::NOT_CONTAINS:
        return x.type == DataType::STRING && y.type == DataType::STRING && x.text.find(y.text) == std::string::npos;
    case Op::STARTS_WITH:
        return x.type == DataType::STRING && y.type == DataType::STRING && x.text.starts_with(y.text);
    case Op::ENDS_WITH:
        return x.type == DataType::STRING && y.type == DataType::STRING && x.text.ends_with(y.text);
    case Op::ONE_OF:
        for (const auto& o : operands) {
            if (Equal(x, o)) return true;
        }
        return false;
    case Op::NOT_ONE_OF:
        for (const auto& o : operands) {
            if (Equal(x, o)) return false;
        }
        return true;
    case Op::EXISTS:
    case Op::NOT_EXISTS:
        break;
    }
    return false;
}

} // namespace kith::reference
