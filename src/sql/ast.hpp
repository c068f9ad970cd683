// A small SQL tree: what kith's compiler builds and each dialect prints
// (printer.hpp). User-supplied names only ever appear in Ident nodes (quoted by
// the printer) and user-supplied values only in literal nodes (escaped by one
// function, sql::QuoteString); there is no node that splices raw text.
//
//   auto q = Select{}.From(Table({"", "crm", "accounts"}, "a"))
//                .Item(Col("a", "ID"), "id")
//                .Where(Eq(Col("a", "STATUS"), Str("active")));
//   std::string text = Print(q, Dialect::DuckDb());
#pragma once

#include "schema/column.hpp"
#include "schema/table_name.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::sql {

struct Expr;
struct Select;
using ExprPtr = std::shared_ptr<const Expr>;
using SelectPtr = std::shared_ptr<const Select>;

//! Functions whose spelling differs per dialect; the printer knows each one.
enum class Fn {
    COALESCE,
    REGEX_FULL_MATCH, //!< (text, pattern): the whole text matches the pattern
    REGEX_REPLACE,    //!< (text, pattern, replacement): first match replaced, \1 back-references
    SUBSTR,           //!< (text, start, length), 1-based characters
    LENGTH,           //!< characters
    REPLACE,          //!< (text, from, to)
    CONCAT,           //!< a || b || ...
    MINUTES,          //!< (n): an interval of n minutes
    COUNT_DISTINCT,
    COUNT_STAR,
    MIN_BYTEWISE,     //!< min() of text compared bytewise
    MAX,              //!< max() of a number
    ROW_NUMBER,       //!< window function; see Expr::partition_by / order_by
    DENSE_RANK,       //!< window function, like ROW_NUMBER; equal order keys share a number
};

//! Binary operators; each prints as its fixed spelling (the printer never prints caller-supplied operator text).
enum class Op {
    EQ,
    NE,
    LT,
    LE,
    GT,
    GE,
    ADD,
    SUB,
    MUL,
    MOD,
    AND,
    OR,
    IS_NOT_DISTINCT_FROM, //!< NULL-safe equality
};

//! The types kith casts to; each dialect names them.
enum class SqlType { NUMBER, STRING, BOOLEAN, DATE, TIME, TIMESTAMP, INTEGER };

struct OrderItem {
    ExprPtr expr;
    bool descending = false;
    bool nulls_last = true;
    bool bytewise = false; //!< compare text bytewise (PostgreSQL: COLLATE "C")
};

struct Expr {
    enum class Kind {
        COLUMN,    //!< qualifier.name
        STRING,    //!< a string literal
        NUMBER,    //!< a numeric literal: -?digits[.digits], checked by Num
        BOOLEAN,
        NULL_VALUE,
        TYPED,     //!< DATE '...', TIME '...', TIMESTAMP '...' (text validated by the caller)
        BINARY,    //!< lhs op rhs
        NOT,
        IS_NULL,
        IS_NOT_NULL,
        FUNC,
        CASE,      //!< CASE WHEN args[0] THEN args[1] [WHEN ...] [ELSE last] END
        CAST,
        TRY_CAST,  //!< a cast that yields NULL on failure where the dialect has one, else a plain cast
    STORAGE_CAST, //!< CAST(args[0] AS the dialect's storage type of `storage`): values loaded into created tables
        IN_LIST,   //!< args[0] IN (args[1..]); negated for NOT IN
        LIKE,      //!< args[0] LIKE args[1] ESCAPE '\'
        IN_SELECT, //!< args[0] IN (select)
        EXISTS,    //!< EXISTS (select), a subquery that may read the outer query's columns; negated for NOT EXISTS
    };
    Kind kind = Kind::NULL_VALUE;
    std::string qualifier; //!< COLUMN
    std::string text;      //!< COLUMN name, literal text
    bool flag = false;     //!< BOOLEAN value; IN_LIST/IN_SELECT/EXISTS negated; CASE has ELSE
    SqlType type = SqlType::STRING; //!< TYPED, CAST, TRY_CAST
    Fn fn = Fn::COALESCE;
    Op op = Op::EQ;        //!< BINARY
    std::vector<ExprPtr> args;
    std::vector<ExprPtr> partition_by; //!< ROW_NUMBER
    std::vector<OrderItem> order_by;   //!< ROW_NUMBER
    SelectPtr select;                  //!< IN_SELECT, EXISTS
    schema::ColumnDef storage;         //!< STORAGE_CAST
};

// Expression builders.
ExprPtr Col(std::string qualifier, std::string name);
ExprPtr Str(std::string value);
//! A numeric literal. digits must be -?[0-9]+(.[0-9]+)? (kith builds them from validated constants): anything else is
//! a bug in kith and ends the process with a message rather than print unchecked text (see IsNumberLiteral).
ExprPtr Num(std::string digits);
//! Whether text is a numeric literal Num accepts.
bool IsNumberLiteral(std::string_view text);
ExprPtr Int(int64_t value);
ExprPtr Bool(bool value);
ExprPtr Null();
ExprPtr Typed(SqlType type, std::string text);
ExprPtr Bin(ExprPtr lhs, Op op, ExprPtr rhs);
ExprPtr Eq(ExprPtr lhs, ExprPtr rhs);
//! AND / OR of the terms (TRUE / FALSE for none).
ExprPtr And(std::vector<ExprPtr> terms);
ExprPtr Or(std::vector<ExprPtr> terms);
ExprPtr Not(ExprPtr e);
ExprPtr IsNull(ExprPtr e);
ExprPtr IsNotNull(ExprPtr e);
ExprPtr Call(Fn fn, std::vector<ExprPtr> args);
ExprPtr Coalesce(ExprPtr e, ExprPtr fallback);
//! CASE WHEN w1 THEN t1 ... [ELSE e] END; pairs as {w1, t1, w2, t2, ...}.
ExprPtr Case(std::vector<ExprPtr> when_then, ExprPtr else_value = nullptr);
ExprPtr Cast(ExprPtr e, SqlType type);
ExprPtr TryCast(ExprPtr e, SqlType type);
ExprPtr InList(ExprPtr e, std::vector<ExprPtr> values, bool negated = false);
ExprPtr Like(ExprPtr e, ExprPtr pattern);
ExprPtr InSelect(ExprPtr e, SelectPtr select, bool negated = false);
//! EXISTS (select): whether the select, which may read the outer query's columns by their qualifiers, has a row.
ExprPtr Exists(SelectPtr select, bool negated = false);
ExprPtr RowNumber(std::vector<ExprPtr> partition_by, std::vector<OrderItem> order_by);
ExprPtr DenseRank(std::vector<ExprPtr> partition_by, std::vector<OrderItem> order_by);

//! A table's name; empty parts are left out (the engine's default catalog and schema).
using TableName = schema::TableName;

//! A FROM or JOIN source: a table, a named CTE, or a subquery; with an alias.
struct Source {
    enum class Kind { TABLE, CTE, SUBQUERY };
    Kind kind = Kind::TABLE;
    TableName table;
    std::string cte;
    SelectPtr subquery;
    std::string alias;
};
Source Table(TableName table, std::string alias);
Source Cte(std::string name, std::string alias);
Source Sub(SelectPtr select, std::string alias);

struct Join {
    bool left = false;
    Source source;
    ExprPtr on;
};

struct SelectItem {
    ExprPtr expr;
    std::string alias;
};

//! SELECT ... ; UNION ALL of several when union_all is set.
struct Select {
    bool distinct = false;
    std::vector<SelectItem> items;
    std::optional<Source> from;
    std::vector<Join> joins;
    ExprPtr where;
    std::vector<ExprPtr> group_by;
    ExprPtr having; //!< a condition on the groups (with group_by)
    std::vector<OrderItem> order_by;
    std::optional<int64_t> limit;
    std::vector<SelectPtr> union_all; //!< when set, this select is the UNION ALL of these (items etc. unused)

    Select& Item(ExprPtr e, std::string alias = {});
    Select& From(Source s);
    Select& JoinInner(Source s, ExprPtr on);
    Select& JoinLeft(Source s, ExprPtr on);
    Select& Where(ExprPtr e);
    Select& GroupBy(ExprPtr e);
    //! HAVING e (AND-ed with an earlier one).
    Select& Having(ExprPtr e);
    Select& OrderBy(ExprPtr e, bool descending = false, bool bytewise = false);
    Select& Distinct();
    Select& Limit(int64_t n);
};

SelectPtr Share(Select s);

//! WITH name AS (...), ... body.
struct Query {
    std::vector<std::pair<std::string, SelectPtr>> ctes;
    SelectPtr body;
    //! Adds a CTE and returns its name.
    const std::string& Add(std::string name, Select s);
};

} // namespace kith::sql
