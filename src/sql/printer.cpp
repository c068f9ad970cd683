#include "sql/printer.hpp"

#include <fmt/format.h>

namespace kith::sql {

std::string QuoteString(std::string_view s, const Dialect& d) {
    std::string out = d.escape_string_backslashes ? "E'" : "'";
    for (char c : s) {
        if (c == '\'') {
            out += "''";
        } else if (c == '\\' && d.escape_string_backslashes) {
            out += "\\\\";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string QuoteIdent(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string QuoteTable(const TableName& t) {
    std::string out;
    for (const std::string* p : {&t.database, &t.schema, &t.table}) {
        if (p->empty()) continue;
        if (!out.empty()) out += '.';
        out += QuoteIdent(*p);
    }
    return out;
}

namespace {

class Printer {
public:
    explicit Printer(const Dialect& d) : d_(d) {}

    std::string TypeName(SqlType t) const {
        switch (t) {
        case SqlType::NUMBER:
            return d_.number_type;
        case SqlType::STRING:
            return d_.string_type;
        case SqlType::BOOLEAN:
            return d_.boolean_type;
        case SqlType::DATE:
            return d_.date_type;
        case SqlType::TIME:
            return d_.time_type;
        case SqlType::TIMESTAMP:
            return d_.timestamp_type;
        case SqlType::INTEGER:
            return d_.integer_type;
        }
        return d_.string_type;
    }

    std::string Bytewise(const std::string& text) const {
        return d_.bytewise_collation.empty() ? text : text + " " + d_.bytewise_collation;
    }

    std::string OrderItems(const std::vector<OrderItem>& items) const {
        std::string out;
        for (const auto& o : items) {
            if (!out.empty()) out += ", ";
            std::string e = E(*o.expr);
            out += o.bytewise ? Bytewise(e) : e;
            out += o.descending ? " DESC" : " ASC";
            out += o.nulls_last ? " NULLS LAST" : " NULLS FIRST";
        }
        return out;
    }

    std::string Args(const std::vector<ExprPtr>& args, size_t from = 0) const {
        std::string out;
        for (size_t i = from; i < args.size(); ++i) {
            if (i > from) out += ", ";
            out += E(*args[i]);
        }
        return out;
    }

    std::string E(const Expr& e) const {
        switch (e.kind) {
        case Expr::Kind::COLUMN:
            return (e.qualifier.empty() ? "" : QuoteIdent(e.qualifier) + ".") + QuoteIdent(e.text);
        case Expr::Kind::STRING:
            return QuoteString(e.text, d_);
        case Expr::Kind::NUMBER:
            return e.text;
        case Expr::Kind::BOOLEAN:
            return e.flag ? "TRUE" : "FALSE";
        case Expr::Kind::NULL_VALUE:
            return "NULL";
        case Expr::Kind::TYPED:
            return TypeName(e.type) + " " + QuoteString(e.text, d_);
        case Expr::Kind::BINARY:
            return "(" + E(*e.args[0]) + " " + e.text + " " + E(*e.args[1]) + ")";
        case Expr::Kind::NOT:
            return "(NOT " + E(*e.args[0]) + ")";
        case Expr::Kind::IS_NULL:
            return "(" + E(*e.args[0]) + " IS NULL)";
        case Expr::Kind::IS_NOT_NULL:
            return "(" + E(*e.args[0]) + " IS NOT NULL)";
        case Expr::Kind::CASE: {
            std::string out = "CASE";
            size_t pairs = (e.args.size() - (e.flag ? 1 : 0)) / 2;
            for (size_t i = 0; i < pairs; ++i) out += " WHEN " + E(*e.args[2 * i]) + " THEN " + E(*e.args[2 * i + 1]);
            if (e.flag) out += " ELSE " + E(*e.args.back());
            return out + " END";
        }
        case Expr::Kind::CAST:
            return "CAST(" + E(*e.args[0]) + " AS " + TypeName(e.type) + ")";
        case Expr::Kind::TRY_CAST:
            return std::string(d_.has_try_cast ? "TRY_CAST(" : "CAST(") + E(*e.args[0]) + " AS " + TypeName(e.type) + ")";
        case Expr::Kind::IN_LIST:
            return "(" + E(*e.args[0]) + (e.flag ? " NOT IN (" : " IN (") + Args(e.args, 1) + "))";
        case Expr::Kind::LIKE:
            return "(" + E(*e.args[0]) + " LIKE " + E(*e.args[1]) + " ESCAPE " + QuoteString("\\", d_) + ")";
        case Expr::Kind::IN_SELECT:
            return "(" + E(*e.args[0]) + (e.flag ? " NOT IN (" : " IN (") + Inline(*e.select) + "))";
        case Expr::Kind::FUNC:
            return Func(e);
        }
        return "NULL";
    }

    std::string Func(const Expr& e) const {
        switch (e.fn) {
        case Fn::COALESCE:
            return "coalesce(" + Args(e.args) + ")";
        case Fn::REGEX_FULL_MATCH:
            if (!d_.regex_full_match_fn.empty()) return d_.regex_full_match_fn + "(" + Args(e.args) + ")";
            // The pattern is always a literal built by kith; anchor it.
            return "(" + E(*e.args[0]) + " ~ " + QuoteString("^(?:" + e.args[1]->text + ")$", d_) + ")";
        case Fn::REGEX_REPLACE:
            return "regexp_replace(" + Args(e.args) + ")";
        case Fn::SUBSTR:
            return "substr(" + Args(e.args) + ")";
        case Fn::LENGTH:
            return "length(" + Args(e.args) + ")";
        case Fn::REPLACE:
            return "replace(" + Args(e.args) + ")";
        case Fn::CONCAT: {
            std::string out = "(";
            for (size_t i = 0; i < e.args.size(); ++i) out += (i ? " || " : "") + E(*e.args[i]);
            return out + ")";
        }
        case Fn::MINUTES:
            return fmt::format(fmt::runtime(d_.minutes_interval), E(*e.args[0]));
        case Fn::COUNT_DISTINCT:
            return "count(DISTINCT " + E(*e.args[0]) + ")";
        case Fn::COUNT_STAR:
            return "count(*)";
        case Fn::MAX:
            return "max(" + E(*e.args[0]) + ")";
        case Fn::MIN_BYTEWISE:
            return "min(" + Bytewise(E(*e.args[0])) + ")";
        case Fn::ROW_NUMBER:
        case Fn::DENSE_RANK: {
            std::string out = e.fn == Fn::ROW_NUMBER ? "row_number() OVER (" : "dense_rank() OVER (";
            if (!e.partition_by.empty()) out += "PARTITION BY " + Args(e.partition_by);
            if (!e.order_by.empty()) out += (e.partition_by.empty() ? "" : " ") + std::string("ORDER BY ") + OrderItems(e.order_by);
            return out + ")";
        }
        }
        return "NULL";
    }

    std::string SourceText(const Source& s, int indent) const {
        std::string out;
        switch (s.kind) {
        case Source::Kind::TABLE:
            out = QuoteTable(s.table);
            break;
        case Source::Kind::CTE:
            out = QuoteIdent(s.cte);
            break;
        case Source::Kind::SUBQUERY:
            out = "(\n" + SelectText(*s.subquery, indent + 2) + "\n" + Pad(indent) + ")";
            break;
        }
        if (!s.alias.empty()) out += " AS " + QuoteIdent(s.alias);
        return out;
    }

    static std::string Pad(int n) { return std::string(static_cast<size_t>(n), ' '); }

    // A select on one line, for IN (...) subqueries.
    std::string Inline(const Select& s) const {
        std::string text = SelectText(s, 0);
        std::string out;
        bool space = false;
        for (char c : text) {
            if (c == '\n' || c == ' ') {
                space = true;
                continue;
            }
            if (space && !out.empty()) out += ' ';
            space = false;
            out += c;
        }
        return out;
    }

    std::string SelectText(const Select& s, int indent) const {
        std::string pad = Pad(indent);
        if (!s.union_all.empty()) {
            std::string out;
            for (size_t i = 0; i < s.union_all.size(); ++i) {
                if (i) out += "\n" + pad + "UNION ALL\n";
                out += SelectText(*s.union_all[i], indent);
            }
            return out;
        }
        std::string out = pad + "SELECT ";
        if (s.distinct) out += "DISTINCT ";
        for (size_t i = 0; i < s.items.size(); ++i) {
            if (i) out += ", ";
            out += E(*s.items[i].expr);
            if (!s.items[i].alias.empty()) out += " AS " + QuoteIdent(s.items[i].alias);
        }
        if (s.from) out += "\n" + pad + "FROM " + SourceText(*s.from, indent);
        for (const auto& j : s.joins) {
            out += "\n" + pad + (j.left ? "LEFT JOIN " : "JOIN ") + SourceText(j.source, indent) + " ON " + E(*j.on);
        }
        if (s.where) out += "\n" + pad + "WHERE " + E(*s.where);
        if (!s.group_by.empty()) out += "\n" + pad + "GROUP BY " + Args(s.group_by);
        if (!s.order_by.empty()) out += "\n" + pad + "ORDER BY " + OrderItems(s.order_by);
        if (s.limit) out += "\n" + pad + "LIMIT " + std::to_string(*s.limit);
        return out;
    }

    std::string QueryText(const Query& q) const {
        std::string out;
        if (!q.ctes.empty()) {
            out = "WITH\n";
            for (size_t i = 0; i < q.ctes.size(); ++i) {
                out += QuoteIdent(q.ctes[i].first) + " AS (\n" + SelectText(*q.ctes[i].second, 2) + "\n)";
                out += i + 1 < q.ctes.size() ? ",\n" : "\n";
            }
        }
        return out + SelectText(*q.body, 0);
    }

private:
    const Dialect& d_;
};

} // namespace

std::string Print(const Query& q, const Dialect& d) { return Printer(d).QueryText(q); }
std::string Print(const Select& s, const Dialect& d) { return Printer(d).SelectText(s, 0); }
std::string Print(const Expr& e, const Dialect& d) { return Printer(d).E(e); }

} // namespace kith::sql
