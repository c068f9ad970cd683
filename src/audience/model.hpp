// The audience model (audiences.md): groups of conditions over traits, other
// audiences, events and entity branches. Built only by ParseAudience
// (parser.hpp), which checks it against the data graph and the warehouse's
// column types; an Audience that exists is valid and fully resolved: every
// filter knows its data type, every relationship its index in the graph,
// every referenced audience its definition.
#pragma once

#include "schema/column.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kith::audience {

using schema::DataType;

enum class Logic { AND, OR };

enum class Op {
    EQUALS,
    NOT_EQUALS,
    CONTAINS,
    NOT_CONTAINS,
    STARTS_WITH,
    ENDS_WITH,
    LESS_THAN,
    GREATER_THAN,
    LESS_THAN_OR_EQUAL,
    GREATER_THAN_OR_EQUAL,
    ONE_OF,
    NOT_ONE_OF,
    EXISTS,
    NOT_EXISTS,
};

//! "equals", "not_one_of", ...
std::string_view OpName(Op op);

enum class CountOp { AT_LEAST, EXACTLY, AT_MOST };

struct Count {
    CountOp op = CountOp::AT_LEAST;
    int64_t value = 1;
    //! Whether n passes this count.
    bool Holds(int64_t n) const;
};

//! A constant of a filter's type, as canonical text (numbers "12.5", timestamps "...Z" in UTC).
struct Constant {
    std::string text;
};

//! A dynamic reference: a trait of the profile, or a column of this or an ancestor entity.
struct Ref {
    enum class Kind { TRAIT, COLUMN };
    Kind kind = Kind::TRAIT;
    std::string name;      //!< trait name or column name
    int relationship = -1; //!< COLUMN: index in DataGraph::relationships of the entity holding the column
    DataType column_type = DataType::OTHER; //!< COLUMN: the column's type (equals the filter's)
};

//! One test of a value.
struct Filter {
    enum class Target { TRAIT, COLUMN, PROPERTY, CONTEXT };
    Target target = Target::COLUMN;
    std::string name;   //!< trait name, entity column, event column (for CONTEXT: the full "context_<key>")
    Op op = Op::EQUALS;
    DataType type = DataType::STRING;
    bool type_known = true;          //!< false when no warehouse told the column's type (it was guessed from the value)
    std::string engine_type;         //!< the column's type as the warehouse names it (empty for traits)
    std::vector<Constant> values;    //!< one value, or the list of one_of/not_one_of; empty with ref or exists
    std::optional<Ref> ref;
    std::string pointer;             //!< JSON pointer of the filter
};

struct Where {
    Logic op = Logic::AND;
    std::vector<Filter> filters;
};

enum class TimeUnit { MINUTES, HOURS, DAYS, WEEKS };

struct Window {
    enum class Kind { NONE, WITHIN, MORE_THAN_AGO, BETWEEN };
    Kind kind = Kind::NONE;
    int64_t value = 0;
    TimeUnit unit = TimeUnit::DAYS;
    int64_t from_micros = 0; //!< BETWEEN: UTC microseconds since the epoch
    int64_t to_micros = 0;
    //! The length of value·unit in microseconds.
    int64_t SpanMicros() const;
};

struct Audience;

struct Condition {
    enum class Kind { TRAIT, AUDIENCE, EVENT, ENTITY };
    Kind kind = Kind::TRAIT;
    bool without = false;
    std::string pointer; //!< JSON pointer of the condition

    // TRAIT
    std::string trait;
    std::optional<Filter> filter; //!< absent: the trait exists

    // AUDIENCE
    std::string audience_key;
    std::shared_ptr<const Audience> audience; //!< the referenced definition, inlined at compile time

    // EVENT and ENTITY
    Count count;
    std::optional<Where> where;

    // EVENT
    std::string event;       //!< as written ("Order Completed")
    std::string event_table; //!< "order_completed"
    Window window;

    // ENTITY
    std::string relationship_slug;
    int relationship = -1; //!< index in DataGraph::relationships
    Logic children_op = Logic::AND;
    std::vector<Condition> children; //!< entity conditions on relationships nested directly under this one
};

struct Group {
    Logic op = Logic::AND;
    std::vector<Condition> conditions;
};

struct Audience {
    std::string key;
    Logic groups_op = Logic::AND;
    std::vector<Group> groups;
};

} // namespace kith::audience
