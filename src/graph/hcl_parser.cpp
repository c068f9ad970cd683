#include "graph/hcl_parser.hpp"

#include "common/text.hpp"

namespace kith::graph {

namespace {

enum class Tok { IDENT, STRING, NUMBER, LBRACE, RBRACE, EQUALS, END, ERROR };

struct Token {
    Tok kind = Tok::END;
    std::string text;
    Location location;
    bool first_on_line = false; //!< no other token precedes it on its line
    int line_indent = 0;        //!< column of the first token on its line
};

std::string Describe(const Token& t) {
    switch (t.kind) {
    case Tok::IDENT:
        return "'" + t.text + "'";
    case Tok::STRING:
        return "string " + text::Quote(t.text, 40);
    case Tok::NUMBER:
        return "number " + t.text;
    case Tok::LBRACE:
        return "'{'";
    case Tok::RBRACE:
        return "'}'";
    case Tok::EQUALS:
        return "'='";
    case Tok::END:
        return "end of file";
    case Tok::ERROR:
        return t.text;
    }
    return "?";
}

bool IsIdentStart(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '-'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

class Lexer {
public:
    Lexer(std::string_view text, const std::string& path) : s_(text), path_(path) {}

    // The next token; a lexical error comes back as Tok::ERROR with the message in text.
    Token Next() {
        SkipSpaceAndComments();
        if (error_) return std::move(*error_);
        Token t;
        t.location = Here();
        t.first_on_line = line_ != last_token_line_;
        if (t.first_on_line) {
            last_token_line_ = line_;
            line_indent_ = column_;
        }
        t.line_indent = line_indent_;
        if (pos_ >= s_.size()) {
            t.kind = Tok::END;
            return t;
        }
        unsigned char c = static_cast<unsigned char>(s_[pos_]);
        if (c == '{' || c == '}' || c == '=') {
            Advance(1);
            t.kind = c == '{' ? Tok::LBRACE : c == '}' ? Tok::RBRACE : Tok::EQUALS;
            return t;
        }
        if (c == '"') return LexString(t);
        if (IsDigit(c) || ((c == '-' || c == '+') && pos_ + 1 < s_.size() && IsDigit(static_cast<unsigned char>(s_[pos_ + 1])))) {
            return LexNumber(t);
        }
        if (IsIdentStart(c)) {
            size_t start = pos_;
            while (pos_ < s_.size() && IsIdentChar(static_cast<unsigned char>(s_[pos_]))) Advance(1);
            t.kind = Tok::IDENT;
            t.text = std::string(s_.substr(start, pos_ - start));
            return t;
        }
        return Error(t.location, "unexpected character " + text::Quote(s_.substr(pos_, std::max<size_t>(1, text::Utf8SequenceLength(s_.substr(pos_)))), 4));
    }

private:
    Location Here() const { return Location{path_, line_, column_}; }

    Token Error(Location at, std::string message) {
        Token t;
        t.kind = Tok::ERROR;
        t.location = std::move(at);
        t.text = std::move(message);
        return t;
    }

    // Moves over n bytes, keeping line and column (columns count characters).
    void Advance(size_t n) {
        for (size_t i = 0; i < n && pos_ < s_.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(s_[pos_++]);
            if (c == '\n') {
                ++line_;
                column_ = 1;
            } else if ((c & 0xC0) != 0x80) {
                ++column_;
            }
        }
    }

    void SkipSpaceAndComments() {
        while (pos_ < s_.size()) {
            char c = s_[pos_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                Advance(1);
            } else if (c == '#' || (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/')) {
                while (pos_ < s_.size() && s_[pos_] != '\n') Advance(1);
            } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '*') {
                Location open = Here();
                Advance(2);
                while (pos_ < s_.size() && !(s_[pos_] == '*' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/')) Advance(1);
                if (pos_ >= s_.size()) {
                    error_ = Error(open, "comment opened here is never closed (missing '*/')");
                    return;
                }
                Advance(2);
            } else {
                return;
            }
        }
    }

    Token LexString(Token& t) {
        Advance(1);
        t.kind = Tok::STRING;
        while (true) {
            if (pos_ >= s_.size()) return Error(t.location, "string opened here is never closed (missing '\"')");
            unsigned char c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"') {
                Advance(1);
                return t;
            }
            if (c == '\n') return Error(t.location, "string opened here is never closed before the end of the line");
            if (c == '\\') {
                Location at = Here();
                if (pos_ + 1 >= s_.size()) return Error(at, "string opened at " + std::to_string(t.location.line) + ":" + std::to_string(t.location.column) + " is never closed");
                char e = s_[pos_ + 1];
                if (e != '"' && e != '\\') {
                    return Error(at, "unknown escape " + text::Quote(s_.substr(pos_, 2)) + " in string (only \\\" and \\\\ are allowed)");
                }
                t.text += e;
                Advance(2);
                continue;
            }
            if (c < 0x20 || c == 0x7F) return Error(Here(), "control character " + text::Quote(s_.substr(pos_, 1)) + " in string");
            size_t n = text::Utf8SequenceLength(s_.substr(pos_));
            if (n == 0) return Error(Here(), "invalid UTF-8 byte " + text::Quote(s_.substr(pos_, 1)) + " in string");
            t.text.append(s_.substr(pos_, n));
            Advance(n);
        }
    }

    Token LexNumber(Token& t) {
        size_t start = pos_;
        if (s_[pos_] == '-' || s_[pos_] == '+') Advance(1);
        while (pos_ < s_.size() && IsDigit(static_cast<unsigned char>(s_[pos_]))) Advance(1);
        if (pos_ + 1 < s_.size() && s_[pos_] == '.' && IsDigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
            Advance(1);
            while (pos_ < s_.size() && IsDigit(static_cast<unsigned char>(s_[pos_]))) Advance(1);
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            size_t save = pos_;
            Advance(1);
            if (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+')) Advance(1);
            if (pos_ >= s_.size() || !IsDigit(static_cast<unsigned char>(s_[pos_]))) {
                return Error(t.location, "malformed number " + text::Quote(s_.substr(start, pos_ - start)));
            }
            (void)save;
            while (pos_ < s_.size() && IsDigit(static_cast<unsigned char>(s_[pos_]))) Advance(1);
        }
        if (pos_ < s_.size() && IsIdentChar(static_cast<unsigned char>(s_[pos_]))) {
            size_t end = pos_;
            while (end < s_.size() && IsIdentChar(static_cast<unsigned char>(s_[end]))) ++end;
            return Error(t.location, "malformed number " + text::Quote(s_.substr(start, end - start)));
        }
        t.kind = Tok::NUMBER;
        t.text = std::string(s_.substr(start, pos_ - start));
        return t;
    }

    std::string_view s_;
    std::string path_;
    size_t pos_ = 0;
    int line_ = 1;
    int column_ = 1;
    int last_token_line_ = 0;
    int line_indent_ = 1;
    std::optional<Token> error_;
};

class Parser {
public:
    Parser(std::string_view text, const std::string& path) : lexer_(text, path), path_(path) { Shift(); }

    std::expected<SyntaxFile, Diagnostics> ParseFile() {
        SyntaxFile file;
        file.path = path_;
        while (ok() && cur_.kind != Tok::END) {
            if (cur_.kind == Tok::RBRACE) {
                Fail(cur_.location, "unexpected '}': no block is open here");
                break;
            }
            ParseItem(file.blocks, file.attributes, 0);
        }
        if (!ok()) return std::unexpected(Diagnostics{*error_});
        return file;
    }

    // A block as the brace matcher saw it: where it opened and how its '}' was indented.
    struct Span {
        std::string description;
        Location opened;
        int open_indent;
        int close_indent; // 0 when the '}' shares its line with other tokens
    };

    // At the end of the file with `innermost` still open: the block that most likely lacks its '}'
    // is the first one whose '}' is indented differently from its opening line (it took an outer
    // block's brace); failing that, the innermost block still open.
    void ReportUnclosed(const std::string& description, const Location& opened) {
        for (const Span& s : closed_) {
            if (s.close_indent != 0 && s.close_indent != s.open_indent) {
                Fail(s.opened, "block '" + s.description + "' opened here is never closed (missing '}')");
                return;
            }
        }
        Fail(opened, "block '" + description + "' opened here is never closed (missing '}')");
    }

private:
    bool ok() const { return !error_.has_value(); }

    void Fail(Location at, std::string message) {
        if (!error_) error_ = Diagnostic{std::move(at), std::move(message)};
    }

    void Shift() {
        cur_ = lexer_.Next();
        if (cur_.kind == Tok::ERROR) Fail(cur_.location, cur_.text);
    }

    // item := IDENT '=' value | IDENT [STRING] '{' item* '}'
    void ParseItem(std::vector<SyntaxBlock>& blocks, std::vector<SyntaxAttribute>& attributes, int depth) {
        if (cur_.kind != Tok::IDENT) {
            Fail(cur_.location, "expected a block or an attribute name, found " + graph::Describe(cur_));
            return;
        }
        Token name = cur_;
        Shift();
        if (!ok()) return;
        if (cur_.kind == Tok::EQUALS) {
            Shift();
            if (!ok()) return;
            SyntaxAttribute attr{name.text, name.location, {}};
            attr.value.location = cur_.location;
            if (cur_.kind == Tok::STRING) {
                attr.value.kind = SyntaxValue::Kind::STRING;
            } else if (cur_.kind == Tok::NUMBER) {
                attr.value.kind = SyntaxValue::Kind::NUMBER;
            } else if (cur_.kind == Tok::IDENT && (cur_.text == "true" || cur_.text == "false")) {
                attr.value.kind = SyntaxValue::Kind::BOOLEAN;
            } else {
                Fail(cur_.location, "expected a string, a number, true or false after '" + name.text + " =', found " + graph::Describe(cur_));
                return;
            }
            attr.value.text = cur_.text;
            attributes.push_back(std::move(attr));
            Shift();
            return;
        }
        SyntaxBlock block;
        int open_indent = name.line_indent;
        block.type = name.text;
        block.location = name.location;
        block.label_location = name.location;
        if (cur_.kind == Tok::STRING) {
            block.label = cur_.text;
            block.label_location = cur_.location;
            Shift();
            if (!ok()) return;
        }
        if (cur_.kind != Tok::LBRACE) {
            Fail(cur_.location, std::string("expected ") + (block.label ? "'{'" : "'=' or '{'") + " after '" +
                                    Describe(block) + "', found " + graph::Describe(cur_));
            return;
        }
        if (depth + 1 > kMaxSyntaxDepth) {
            Fail(cur_.location, "blocks are nested more than " + std::to_string(kMaxSyntaxDepth) + " deep");
            return;
        }
        Shift();
        while (ok() && cur_.kind != Tok::RBRACE) {
            if (cur_.kind == Tok::END) {
                ReportUnclosed(Describe(block), block.location);
                return;
            }
            ParseItem(block.blocks, block.attributes, depth + 1);
        }
        if (!ok()) return;
        closed_.push_back(Span{Describe(block), block.location, open_indent, cur_.first_on_line ? cur_.location.column : 0});
        Shift();
        blocks.push_back(std::move(block));
    }

    static std::string Describe(const SyntaxBlock& b) {
        return b.type + (b.label ? " " + text::Quote(*b.label, 40) : "");
    }

    Lexer lexer_;
    std::string path_;
    std::vector<Span> closed_;
    Token cur_;
    std::optional<Diagnostic> error_;
};

} // namespace

std::expected<SyntaxFile, Diagnostics> ParseHcl(std::string_view text, const std::string& path) {
    return Parser(text, path).ParseFile();
}

} // namespace kith::graph
