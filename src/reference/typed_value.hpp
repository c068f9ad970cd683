// Typed values for the reference evaluator: text becomes a value of one of
// kith's data types, values of one type compare, filters test values.
//
// Two ways in, as audiences.md distinguishes them:
//   FromText       profile-side text (trait values, identifier values, constants):
//                  only the exact forms of typed_text.hpp convert, anything else is NULL.
//   FromWarehouse  a warehouse cell of a typed column, already canonical text (value.hpp);
//                  numbers may carry an exponent (shortest round-trip text of a double).
#pragma once

#include "audience/model.hpp"
#include "audience/typed_text.hpp"
#include "warehouse/value.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kith::reference {

using audience::Decimal;
using warehouse::DataType;

//! A non-NULL value of one of kith's data types (NULL is an empty optional).
struct Value {
    DataType type = DataType::STRING;
    Decimal number;     //!< NUMBER
    std::string text;   //!< STRING
    int64_t scalar = 0; //!< BOOLEAN (0 or 1), DATE (days since 1970-01-01), TIME (micros since midnight),
                        //!< TIMESTAMP (UTC micros since the epoch)
};

//! Text converted by the text-to-type rule; nullopt when it does not convert (or type is OTHER).
std::optional<Value> FromText(DataType type, std::string_view text);

//! A warehouse cell of a column of kith type `type`; nullopt for NULL, for OTHER, and for text that denotes no
//! comparable value (NaN, infinities, dates outside years 1-9999, TIME 24:00:00).
std::optional<Value> FromWarehouse(DataType type, const warehouse::Cell& cell);

//! Decimal text with an optional exponent ("-1.5", "1e-07", "2.5E+20"), held exactly with no digit limits.
std::optional<Decimal> ParseWarehouseNumber(std::string_view text);

//! -1, 0 or 1; values of different types never compare (Compare returns nullopt).
std::optional<int> Compare(const Value& a, const Value& b);

//! True when a and b have one type and are equal.
bool Equal(const Value& a, const Value& b);

//! Whether `value` passes filter `f` (audiences.md, "Filters"). `ref` is the referenced value when the filter has a
//! `ref` (nullopt when the reference is NULL or does not convert, which fails the filter).
bool Passes(const audience::Filter& f, const std::optional<Value>& value, const std::optional<Value>& ref);

} // namespace kith::reference
