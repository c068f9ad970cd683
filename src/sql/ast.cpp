#include "sql/ast.hpp"

#include <cstdio>
#include <cstdlib>

namespace kith::sql {

namespace {

ExprPtr Make(Expr e) { return std::make_shared<const Expr>(std::move(e)); }

} // namespace

ExprPtr Col(std::string qualifier, std::string name) {
    Expr e;
    e.kind = Expr::Kind::COLUMN;
    e.qualifier = std::move(qualifier);
    e.text = std::move(name);
    return Make(std::move(e));
}

ExprPtr Str(std::string value) {
    Expr e;
    e.kind = Expr::Kind::STRING;
    e.text = std::move(value);
    return Make(std::move(e));
}

bool IsNumberLiteral(std::string_view t) {
    size_t i = 0;
    if (i < t.size() && t[i] == '-') ++i;
    auto digits = [&] {
        size_t start = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
        return i > start;
    };
    if (!digits()) return false;
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    return i == t.size();
}

ExprPtr Num(std::string digits) {
    if (!IsNumberLiteral(digits)) {
        std::fprintf(stderr, "kith: internal error: sql::Num given %zu bytes that are not a numeric literal\n",
                     digits.size());
        std::abort();
    }
    Expr e;
    e.kind = Expr::Kind::NUMBER;
    e.text = std::move(digits);
    return Make(std::move(e));
}

ExprPtr Int(int64_t value) { return Num(std::to_string(value)); }

ExprPtr Bool(bool value) {
    Expr e;
    e.kind = Expr::Kind::BOOLEAN;
    e.flag = value;
    return Make(std::move(e));
}

ExprPtr Null() { return Make(Expr{}); }

ExprPtr Typed(SqlType type, std::string text) {
    Expr e;
    e.kind = Expr::Kind::TYPED;
    e.type = type;
    e.text = std::move(text);
    return Make(std::move(e));
}

ExprPtr Bin(ExprPtr lhs, Op op, ExprPtr rhs) {
    Expr e;
    e.kind = Expr::Kind::BINARY;
    e.op = op;
    e.args = {std::move(lhs), std::move(rhs)};
    return Make(std::move(e));
}

ExprPtr Eq(ExprPtr lhs, ExprPtr rhs) { return Bin(std::move(lhs), Op::EQ, std::move(rhs)); }

namespace {

ExprPtr Chain(std::vector<ExprPtr> terms, Op op, bool empty) {
    std::vector<ExprPtr> kept;
    for (auto& t : terms) {
        if (t) kept.push_back(std::move(t));
    }
    if (kept.empty()) return Bool(empty);
    ExprPtr out = kept[0];
    for (size_t i = 1; i < kept.size(); ++i) out = Bin(out, op, kept[i]);
    return out;
}

} // namespace

ExprPtr And(std::vector<ExprPtr> terms) { return Chain(std::move(terms), Op::AND, true); }
ExprPtr Or(std::vector<ExprPtr> terms) { return Chain(std::move(terms), Op::OR, false); }

ExprPtr Not(ExprPtr x) {
    Expr e;
    e.kind = Expr::Kind::NOT;
    e.args = {std::move(x)};
    return Make(std::move(e));
}

ExprPtr IsNull(ExprPtr x) {
    Expr e;
    e.kind = Expr::Kind::IS_NULL;
    e.args = {std::move(x)};
    return Make(std::move(e));
}

ExprPtr IsNotNull(ExprPtr x) {
    Expr e;
    e.kind = Expr::Kind::IS_NOT_NULL;
    e.args = {std::move(x)};
    return Make(std::move(e));
}

ExprPtr Call(Fn fn, std::vector<ExprPtr> args) {
    Expr e;
    e.kind = Expr::Kind::FUNC;
    e.fn = fn;
    e.args = std::move(args);
    return Make(std::move(e));
}

ExprPtr Coalesce(ExprPtr x, ExprPtr fallback) { return Call(Fn::COALESCE, {std::move(x), std::move(fallback)}); }

ExprPtr Case(std::vector<ExprPtr> when_then, ExprPtr else_value) {
    Expr e;
    e.kind = Expr::Kind::CASE;
    e.args = std::move(when_then);
    if (else_value) {
        e.flag = true;
        e.args.push_back(std::move(else_value));
    }
    return Make(std::move(e));
}

ExprPtr Cast(ExprPtr x, SqlType type) {
    Expr e;
    e.kind = Expr::Kind::CAST;
    e.type = type;
    e.args = {std::move(x)};
    return Make(std::move(e));
}

ExprPtr TryCast(ExprPtr x, SqlType type) {
    Expr e;
    e.kind = Expr::Kind::TRY_CAST;
    e.type = type;
    e.args = {std::move(x)};
    return Make(std::move(e));
}

ExprPtr InList(ExprPtr x, std::vector<ExprPtr> values, bool negated) {
    Expr e;
    e.kind = Expr::Kind::IN_LIST;
    e.flag = negated;
    e.args.push_back(std::move(x));
    for (auto& v : values) e.args.push_back(std::move(v));
    return Make(std::move(e));
}

ExprPtr Like(ExprPtr x, ExprPtr pattern) {
    Expr e;
    e.kind = Expr::Kind::LIKE;
    e.args = {std::move(x), std::move(pattern)};
    return Make(std::move(e));
}

ExprPtr InSelect(ExprPtr x, SelectPtr select, bool negated) {
    Expr e;
    e.kind = Expr::Kind::IN_SELECT;
    e.flag = negated;
    e.args = {std::move(x)};
    e.select = std::move(select);
    return Make(std::move(e));
}

ExprPtr Exists(SelectPtr select, bool negated) {
    Expr e;
    e.kind = Expr::Kind::EXISTS;
    e.flag = negated;
    e.select = std::move(select);
    return Make(std::move(e));
}

namespace {

ExprPtr Window(Fn fn, std::vector<ExprPtr> partition_by, std::vector<OrderItem> order_by) {
    Expr e;
    e.kind = Expr::Kind::FUNC;
    e.fn = fn;
    e.partition_by = std::move(partition_by);
    e.order_by = std::move(order_by);
    return Make(std::move(e));
}

} // namespace

ExprPtr RowNumber(std::vector<ExprPtr> partition_by, std::vector<OrderItem> order_by) {
    return Window(Fn::ROW_NUMBER, std::move(partition_by), std::move(order_by));
}

ExprPtr DenseRank(std::vector<ExprPtr> partition_by, std::vector<OrderItem> order_by) {
    return Window(Fn::DENSE_RANK, std::move(partition_by), std::move(order_by));
}

Source Table(TableName table, std::string alias) {
    Source s;
    s.kind = Source::Kind::TABLE;
    s.table = std::move(table);
    s.alias = std::move(alias);
    return s;
}

Source Cte(std::string name, std::string alias) {
    Source s;
    s.kind = Source::Kind::CTE;
    s.cte = std::move(name);
    s.alias = std::move(alias);
    return s;
}

Source Sub(SelectPtr select, std::string alias) {
    Source s;
    s.kind = Source::Kind::SUBQUERY;
    s.subquery = std::move(select);
    s.alias = std::move(alias);
    return s;
}

Select& Select::Item(ExprPtr e, std::string alias) {
    items.push_back(SelectItem{std::move(e), std::move(alias)});
    return *this;
}
Select& Select::From(Source s) {
    from = std::move(s);
    return *this;
}
Select& Select::JoinInner(Source s, ExprPtr on) {
    joins.push_back(Join{false, std::move(s), std::move(on)});
    return *this;
}
Select& Select::JoinLeft(Source s, ExprPtr on) {
    joins.push_back(Join{true, std::move(s), std::move(on)});
    return *this;
}
Select& Select::Where(ExprPtr e) {
    where = where ? And({where, std::move(e)}) : std::move(e);
    return *this;
}
Select& Select::GroupBy(ExprPtr e) {
    group_by.push_back(std::move(e));
    return *this;
}
Select& Select::Having(ExprPtr e) {
    having = having ? And({having, std::move(e)}) : std::move(e);
    return *this;
}
Select& Select::OrderBy(ExprPtr e, bool descending, bool bytewise) {
    order_by.push_back(OrderItem{std::move(e), descending, true, bytewise});
    return *this;
}
Select& Select::Distinct() {
    distinct = true;
    return *this;
}
Select& Select::Limit(int64_t n) {
    limit = n;
    return *this;
}

SelectPtr Share(Select s) { return std::make_shared<const Select>(std::move(s)); }

const std::string& Query::Add(std::string name, Select s) {
    ctes.emplace_back(std::move(name), Share(std::move(s)));
    return ctes.back().first;
}

} // namespace kith::sql
