#include "sql/printer.hpp"

#include <fmt/format.h>

#include <cctype>

namespace kith::sql {

std::string QuoteString(std::string_view s, const Dialect& d) {
    using Escapes = Dialect::StringEscapes;
    std::string out = d.string_escapes == Escapes::POSTGRES_E ? "E'" : "'";
    for (char c : s) {
        if (c == '\'') {
            out += d.string_escapes == Escapes::BACKSLASH ? "\\'" : "''";
        } else if (c == '\\' && d.string_escapes != Escapes::STANDARD) {
            out += "\\\\";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string QuoteIdent(std::string_view name, const Dialect& d) {
    std::string out(1, d.identifier_quote);
    for (char c : name) {
        if (d.fold_identifiers_lower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (d.identifier_backslash_escape && (c == d.identifier_quote || c == '\\')) {
            out += '\\';
        } else if (c == d.identifier_quote) {
            out += c;
        }
        out += c;
    }
    out += d.identifier_quote;
    return out;
}

std::string QuoteTable(const TableName& t, const Dialect& d) {
    std::string out;
    for (const std::string* p : {&t.database, &t.schema, &t.table}) {
        if (p->empty()) continue;
        if (!out.empty()) out += '.';
        out += QuoteIdent(*p, d);
    }
    return out;
}

std::string StorageTypeName(const schema::ColumnDef& c, const Dialect& d) {
    if (c.type != schema::StorageType::DECIMAL) return d.storage_types[static_cast<size_t>(c.type)];
    if (c.precision == 39 && c.scale == 0 && !d.decimal_39_0_type.empty()) return d.decimal_39_0_type;
    if (c.precision < 1 || c.precision > d.max_decimal_precision || c.scale < 0 || c.scale > c.precision) {
        return d.wide_decimal_type;
    }
    return d.decimal_name + "(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
}

ExprPtr StorageValue(const std::optional<std::string>& canonical, const schema::ColumnDef& column) {
    if (!canonical) return Null();
    Expr e;
    e.kind = Expr::Kind::STORAGE_CAST;
    e.storage = column;
    e.args = {Str(*canonical)};
    return std::make_shared<const Expr>(std::move(e));
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

    std::string Id(std::string_view name) const { return QuoteIdent(name, d_); }

    // DATE '...', TIME '...', TIMESTAMP '...': the standard keywords, whatever the dialect's type names.
    std::string LiteralKeyword(SqlType t) const {
        switch (t) {
        case SqlType::DATE:
            return "DATE";
        case SqlType::TIME:
            return "TIME";
        case SqlType::TIMESTAMP:
            return "TIMESTAMP";
        default:
            return TypeName(t);
        }
    }

    static const char* OpText(Op op) {
        switch (op) {
        case Op::EQ:
            return "=";
        case Op::NE:
            return "<>";
        case Op::LT:
            return "<";
        case Op::LE:
            return "<=";
        case Op::GT:
            return ">";
        case Op::GE:
            return ">=";
        case Op::ADD:
            return "+";
        case Op::SUB:
            return "-";
        case Op::MUL:
            return "*";
        case Op::MOD:
            return "%";
        case Op::AND:
            return "AND";
        case Op::OR:
            return "OR";
        case Op::IS_NOT_DISTINCT_FROM:
            return nullptr; // printed by the caller from the dialect
        }
        return "=";
    }

    std::string GroupReferences(const std::string& replacement) const {
        if (d_.regex_group_reference == '\\') return replacement;
        std::string out;
        for (size_t i = 0; i < replacement.size(); ++i) {
            if (replacement[i] == '\\' && i + 1 < replacement.size() && replacement[i + 1] >= '0' &&
                replacement[i + 1] <= '9') {
                out += d_.regex_group_reference;
                continue;
            }
            out += replacement[i];
        }
        return out;
    }

    // A kith regex matched against the whole text by an engine that finds matches anywhere, as a literal.
    std::string Anchored(const std::string& regex) const {
        return QuoteString("^(?:" + regex + ")" + d_.regex_end_anchor, d_);
    }

    // A kith regex (parentheses, alternation, brackets, quantifiers, `\.`) as a SIMILAR TO pattern, where `.` is an
    // ordinary character and `%`, `_` are wildcards (escaped with the default escape, backslash).
    static std::string SimilarTo(const std::string& regex) {
        std::string out;
        for (size_t i = 0; i < regex.size(); ++i) {
            char c = regex[i];
            if (c == '\\' && i + 1 < regex.size() && regex[i + 1] == '.') {
                out += '.';
                ++i;
            } else if (c == '%' || c == '_') {
                out += '\\';
                out += c;
            } else {
                out += c;
            }
        }
        return out;
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
            return (e.qualifier.empty() ? "" : Id(e.qualifier) + ".") + Id(e.text);
        case Expr::Kind::STRING:
            return QuoteString(e.text, d_);
        case Expr::Kind::NUMBER:
            return e.text;
        case Expr::Kind::BOOLEAN:
            return e.flag ? "TRUE" : "FALSE";
        case Expr::Kind::NULL_VALUE:
            return "NULL";
        case Expr::Kind::TYPED:
            return LiteralKeyword(e.type) + " " + QuoteString(e.text, d_);
        case Expr::Kind::BINARY:
            if (e.op == Op::IS_NOT_DISTINCT_FROM && d_.null_safe_equal.empty()) {
                std::string a = E(*e.args[0]), b = E(*e.args[1]);
                return "coalesce((" + a + " = " + b + "), ((" + a + " IS NULL) AND (" + b + " IS NULL)))";
            }
            if (e.op == Op::MOD && d_.mod_function) return "MOD(" + E(*e.args[0]) + ", " + E(*e.args[1]) + ")";
            if ((e.op == Op::ADD || e.op == Op::SUB) && !d_.add_minutes.empty() && e.args[1]->kind == Expr::Kind::FUNC &&
                e.args[1]->fn == Fn::MINUTES) {
                std::string n = E(*e.args[1]->args[0]);
                if (e.op == Op::SUB) n = "(-" + n + ")";
                return fmt::format(fmt::runtime(d_.add_minutes), fmt::arg("ts", E(*e.args[0])), fmt::arg("n", n));
            }
            return "(" + E(*e.args[0]) + " " +
                   (e.op == Op::IS_NOT_DISTINCT_FROM ? d_.null_safe_equal : std::string(OpText(e.op))) + " " +
                   E(*e.args[1]) + ")";
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
            return (d_.has_try_cast ? d_.try_cast_fn : std::string("CAST")) + "(" + E(*e.args[0]) + " AS " + TypeName(e.type) + ")";
        case Expr::Kind::STORAGE_CAST:
            return "CAST(" + E(*e.args[0]) + " AS " + StorageTypeName(e.storage, d_) + ")";
        case Expr::Kind::IN_LIST:
            return "(" + E(*e.args[0]) + (e.flag ? " NOT IN (" : " IN (") + Args(e.args, 1) + "))";
        case Expr::Kind::LIKE:
            if (!d_.like_escape_clause) return "(" + E(*e.args[0]) + " LIKE " + E(*e.args[1]) + ")";
            return "(" + E(*e.args[0]) + " LIKE " + E(*e.args[1]) + " ESCAPE " + QuoteString("\\", d_) + ")";
        case Expr::Kind::IN_SELECT:
            return "(" + E(*e.args[0]) + (e.flag ? " NOT IN (" : " IN (") + Inline(*e.select) + "))";
        case Expr::Kind::EXISTS:
            return std::string(e.flag ? "(NOT EXISTS (" : "EXISTS (") + Inline(*e.select) + (e.flag ? "))" : ")");
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
            if (!d_.regex_full_match_fn.empty() && d_.regex_fn_finds_anywhere) {
                return d_.regex_full_match_fn + "(" + E(*e.args[0]) + ", " + Anchored(e.args[1]->text) + ")";
            }
            if (!d_.regex_full_match_fn.empty()) return d_.regex_full_match_fn + "(" + Args(e.args) + ")";
            if (d_.regex_similar_to) return "(" + E(*e.args[0]) + " SIMILAR TO " + QuoteString(SimilarTo(e.args[1]->text), d_) + ")";
            // The pattern is always a literal built by kith; anchor it.
            return "(" + E(*e.args[0]) + " " + d_.regex_operator + " " + Anchored(e.args[1]->text) + ")";
        case Fn::REGEX_REPLACE:
            // kith's patterns are anchored, so replacing the first match and every match agree. The replacement is
            // a literal built by kith with \n group references, respelled for the dialect.
            return "regexp_replace(" + E(*e.args[0]) + ", " + E(*e.args[1]) + ", " +
                   QuoteString(GroupReferences(e.args[2]->text), d_) + ")";
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
            out = QuoteTable(s.table, d_);
            break;
        case Source::Kind::CTE:
            out = Id(s.cte);
            break;
        case Source::Kind::SUBQUERY:
            if (one_line_) {
                out = "(" + SelectText(*s.subquery, indent + 2) + ")";
            } else {
                out = "(\n" + SelectText(*s.subquery, indent + 2) + "\n" + Pad(indent) + ")";
            }
            break;
        }
        if (!s.alias.empty()) out += " AS " + Id(s.alias);
        return out;
    }

    static std::string Pad(int n) { return std::string(static_cast<size_t>(n), ' '); }

    // A select on one line, for IN (...) and EXISTS (...) subqueries: printed with a space wherever it would break
    // a line, so that its literals keep their text.
    std::string Inline(const Select& s) const {
        bool was = one_line_;
        one_line_ = true;
        std::string out = SelectText(s, 0);
        one_line_ = was;
        return out;
    }

    // Where a select breaks a line: a new line indented by pad, or a space when printing one line.
    std::string Break(const std::string& pad) const { return one_line_ ? " " : "\n" + pad; }

    std::string SelectText(const Select& s, int indent) const {
        std::string pad = one_line_ ? "" : Pad(indent);
        if (!s.union_all.empty()) {
            std::string out;
            for (size_t i = 0; i < s.union_all.size(); ++i) {
                if (i) out += Break(pad) + "UNION ALL" + Break("");
                out += SelectText(*s.union_all[i], indent);
            }
            return out;
        }
        std::string out = pad + "SELECT ";
        if (s.distinct) out += "DISTINCT ";
        for (size_t i = 0; i < s.items.size(); ++i) {
            if (i) out += ", ";
            out += E(*s.items[i].expr);
            const SelectItem& item = s.items[i];
            bool redundant = d_.omit_redundant_aliases && item.expr->kind == Expr::Kind::COLUMN && item.expr->text == item.alias;
            if (!item.alias.empty() && !redundant) out += " AS " + Id(item.alias);
        }
        if (s.from) out += Break(pad) + "FROM " + SourceText(*s.from, indent);
        for (const auto& j : s.joins) {
            out += Break(pad) + (j.left ? "LEFT JOIN " : "JOIN ") + SourceText(j.source, indent) + " ON " + E(*j.on);
        }
        if (s.where) out += Break(pad) + "WHERE " + E(*s.where);
        if (!s.group_by.empty()) out += Break(pad) + "GROUP BY " + Args(s.group_by);
        if (s.having) out += Break(pad) + "HAVING " + E(*s.having);
        if (!s.order_by.empty()) out += Break(pad) + "ORDER BY " + OrderItems(s.order_by);
        if (s.limit) out += Break(pad) + "LIMIT " + std::to_string(*s.limit);
        return out;
    }

    std::string QueryText(const Query& q) const {
        std::string out;
        if (!q.ctes.empty()) {
            out = "WITH\n";
            for (size_t i = 0; i < q.ctes.size(); ++i) {
                out += Id(q.ctes[i].first) + " AS (\n" + SelectText(*q.ctes[i].second, 2) + "\n)";
                out += i + 1 < q.ctes.size() ? ",\n" : "\n";
            }
        }
        return out + SelectText(*q.body, 0);
    }

    std::string Columns(const std::vector<std::string>& names) const {
        std::string out = "(";
        for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + Id(names[i]);
        return out + ")";
    }

    std::string Suffix() const { return d_.create_table_suffix.empty() ? "" : " " + d_.create_table_suffix; }

    std::string operator()(const Query& q) const { return QueryText(q); }
    std::string operator()(const CreateSchema& s) const { return "CREATE SCHEMA IF NOT EXISTS " + Id(s.schema); }
    std::string operator()(const DropTable& s) const { return "DROP TABLE IF EXISTS " + QuoteTable(s.table, d_); }
    std::string operator()(const CreateTableAs& s) const {
        return "CREATE TABLE " + QuoteTable(s.table, d_) + Suffix() + " AS\n" + QueryText(s.query);
    }
    std::string operator()(const CreateTable& s) const {
        std::string out = "CREATE TABLE " + QuoteTable(s.table, d_) + " (";
        for (size_t i = 0; i < s.columns.size(); ++i) {
            out += (i ? ", " : "") + Id(s.columns[i].name) + " " + StorageTypeName(s.columns[i], d_);
        }
        return out + ")" + Suffix();
    }
    std::string operator()(const CreateIndex& s) const {
        return "CREATE INDEX " + Id(s.name) + " ON " + QuoteTable(s.table, d_) + " " + Columns(s.columns);
    }
    std::string operator()(const InsertValues& s) const {
        std::string out = "INSERT INTO " + QuoteTable(s.table, d_) + " " + Columns(s.columns) + " VALUES";
        for (size_t r = 0; r < s.rows.size(); ++r) out += (r ? ",\n  (" : "\n  (") + Args(s.rows[r]) + ")";
        return out;
    }
    std::string operator()(const InsertSelect& s) const {
        return "INSERT INTO " + QuoteTable(s.table, d_) + " " + Columns(s.columns) + "\n" + QueryText(s.query);
    }
    std::string operator()(const RenameTable& s) const {
        return "ALTER TABLE " + QuoteTable(s.table, d_) + " RENAME TO " +
               (d_.rename_to_qualified ? QuoteTable(TableName{s.table.database, s.table.schema, s.to}, d_) : Id(s.to));
    }
    std::string operator()(const SetOption& s) const {
        // Names are kith's own (TimeZone, ...); anything but a plain word is printed quoted so it cannot be SQL.
        bool word = !s.name.empty();
        for (char c : s.name) word = word && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.');
        return "SET " + (word ? s.name : Id(s.name)) + " = " + QuoteString(s.value, d_);
    }
    std::string operator()(const DescribeTable& s) const { return "DESCRIBE TABLE " + QuoteTable(s.table, d_); }
    std::string operator()(const Transaction& s) const {
        switch (s.kind) {
        case Transaction::Kind::BEGIN:
            return "BEGIN TRANSACTION";
        case Transaction::Kind::COMMIT:
            return "COMMIT";
        case Transaction::Kind::ROLLBACK:
            return "ROLLBACK";
        }
        return "ROLLBACK";
    }

private:
    const Dialect& d_;
    mutable bool one_line_ = false; // printing a subquery on one line (Inline)
};

} // namespace

std::string Print(const Query& q, const Dialect& d) { return Printer(d).QueryText(q); }
std::string Print(const Select& s, const Dialect& d) { return Printer(d).SelectText(s, 0); }
std::string Print(const Expr& e, const Dialect& d) { return Printer(d).E(e); }
std::string Print(const Statement& s, const Dialect& d) { return std::visit(Printer(d), s); }

} // namespace kith::sql
