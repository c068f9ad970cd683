#include "graph/json_reader.hpp"

#include "common/text.hpp"

#include <iterator>
#include <nlohmann/json.hpp>

namespace kith::graph {

namespace {

// A character iterator that counts how many bytes the JSON lexer has consumed,
// so SAX events can be given a position.
class CountingIterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    CountingIterator() = default;
    CountingIterator(const char* p, size_t* consumed) : p_(p), consumed_(consumed) {}
    reference operator*() const { return *p_; }
    CountingIterator& operator++() {
        ++p_;
        if (consumed_) ++*consumed_;
        return *this;
    }
    CountingIterator operator++(int) {
        CountingIterator old = *this;
        ++*this;
        return old;
    }
    bool operator==(const CountingIterator& o) const { return p_ == o.p_; }

private:
    const char* p_ = nullptr;
    size_t* consumed_ = nullptr;
};

bool IsLabeledBlock(const std::string& type) { return type == "entity" || type == "relationship"; }

// Builds the syntax tree from SAX events. The nesting of JSON containers is
// tracked on a stack of frames: a block's body, a labeled block's map of labels,
// or an array of bodies.
class TreeBuilder : public nlohmann::json_sax<nlohmann::json> {
public:
    TreeBuilder(std::string_view text, const std::string& path, const size_t* consumed)
        : text_(text), path_(path), consumed_(consumed) {}

    bool null() override { return Scalar(SyntaxValue::Kind::STRING, "", true); }
    bool boolean(bool v) override { return Scalar(SyntaxValue::Kind::BOOLEAN, v ? "true" : "false", false); }
    bool number_integer(number_integer_t v) override { return Scalar(SyntaxValue::Kind::NUMBER, std::to_string(v), false); }
    bool number_unsigned(number_unsigned_t v) override { return Scalar(SyntaxValue::Kind::NUMBER, std::to_string(v), false); }
    bool number_float(number_float_t, const string_t& raw) override { return Scalar(SyntaxValue::Kind::NUMBER, raw, false); }
    bool string(string_t& v) override { return Scalar(SyntaxValue::Kind::STRING, v, false); }
    bool binary(binary_t&) override { return Error(LocationOfEnd(), "binary values are not allowed"); }

    bool start_object(std::size_t) override {
        Location at = LocationOfEnd(1);
        if (stack_.size() > static_cast<size_t>(kMaxSyntaxDepth) * 3) return Error(at, "objects are nested too deeply");
        if (stack_.empty()) {
            stack_.push_back(Frame{Frame::Kind::ROOT, nullptr, {}, at});
            return true;
        }
        Frame& top = stack_.back();
        if (top.kind == Frame::Kind::LABELS) {
            SyntaxBlock b;
            b.type = top.block_type;
            b.label = key_;
            b.location = key_location_;
            b.label_location = key_location_;
            stack_.push_back(Frame{Frame::Kind::BODY, Attach(top, std::move(b)), {}, at});
            return true;
        }
        if (top.kind == Frame::Kind::ARRAY) {
            SyntaxBlock b;
            b.type = top.block_type;
            b.location = at;
            b.label_location = at;
            stack_.push_back(Frame{Frame::Kind::BODY, Attach(top, std::move(b)), {}, at});
            return true;
        }
        // An object under a key of a body (or of the root): a block of that type.
        if (IsLabeledBlock(key_)) {
            stack_.push_back(Frame{Frame::Kind::LABELS, top.block, key_, at, top.kind == Frame::Kind::ROOT});
            return true;
        }
        SyntaxBlock b;
        b.type = key_;
        b.location = key_location_;
        b.label_location = key_location_;
        stack_.push_back(Frame{Frame::Kind::BODY, Attach(top, std::move(b)), {}, at});
        return true;
    }

    bool key(string_t& k) override {
        key_ = k;
        key_location_ = LocationOfString();
        return true;
    }

    bool end_object() override {
        stack_.pop_back();
        return true;
    }

    bool start_array(std::size_t) override {
        Location at = LocationOfEnd(1);
        if (stack_.empty()) return Error(at, "expected a JSON object at the top of the file, found an array");
        Frame& top = stack_.back();
        if (top.kind == Frame::Kind::ARRAY) return Error(at, "arrays of arrays are not allowed");
        if (top.kind == Frame::Kind::LABELS) {
            return Error(at, "expected an object for " + top.block_type + " " + text::Quote(key_, 40));
        }
        if (stack_.size() > static_cast<size_t>(kMaxSyntaxDepth) * 3) return Error(at, "arrays are nested too deeply");
        stack_.push_back(Frame{Frame::Kind::ARRAY, top.block, key_, at, top.kind == Frame::Kind::ROOT});
        return true;
    }

    bool end_array() override {
        stack_.pop_back();
        return true;
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
        std::string what = ex.what();
        // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." -> "syntax error ..."
        size_t colon = what.find(": ");
        std::string message = colon == std::string::npos ? what : what.substr(colon + 2);
        // position counts the bytes read, the offending one included.
        return Error(LocationAt(position > 0 ? position - 1 : 0), "invalid JSON: " + message);
    }

    SyntaxFile TakeFile() {
        file_.path = path_;
        return std::move(file_);
    }
    const std::optional<Diagnostic>& error() const { return error_; }

private:
    struct Frame {
        enum class Kind { ROOT, BODY, LABELS, ARRAY };
        Kind kind;
        SyntaxBlock* block; // the block whose body this is (BODY), or that receives the blocks (LABELS, ARRAY)
        std::string block_type;
        Location location;
        bool at_root = false;
    };

    // Adds b under the frame's block (or the file) and returns a stable pointer to it.
    SyntaxBlock* Attach(const Frame& frame, SyntaxBlock b) {
        bool root = frame.kind == Frame::Kind::ROOT || frame.at_root;
        std::vector<SyntaxBlock>& into = root ? file_.blocks : frame.block->blocks;
        into.push_back(std::move(b));
        return &into.back();
    }

    bool Scalar(SyntaxValue::Kind kind, std::string text, bool is_null) {
        Location at = kind == SyntaxValue::Kind::STRING && !is_null ? LocationOfString() : LocationOfEnd(text.size());
        if (stack_.empty()) return Error(at, "expected a JSON object at the top of the file");
        Frame& top = stack_.back();
        if (is_null) return Error(at, "null is not allowed here (leave the attribute out instead)");
        if (top.kind != Frame::Kind::BODY && top.kind != Frame::Kind::ROOT) {
            return Error(at, "expected an object for " + top.block_type + (top.kind == Frame::Kind::LABELS ? " " + text::Quote(key_, 40) : ""));
        }
        SyntaxAttribute attr{key_, key_location_, SyntaxValue{kind, std::move(text), at}};
        if (top.kind == Frame::Kind::ROOT) {
            file_.attributes.push_back(std::move(attr));
        } else {
            top.block->attributes.push_back(std::move(attr));
        }
        return true;
    }

    bool Error(Location at, std::string message) {
        if (!error_) error_ = Diagnostic{std::move(at), std::move(message)};
        return false;
    }

    // The location `back` bytes before the lexer's position.
    Location LocationOfEnd(size_t back = 0) const {
        size_t end = std::min(*consumed_, text_.size());
        return LocationAt(end >= back ? end - back : 0);
    }

    // The location of the string token the lexer just read (its opening quote).
    Location LocationOfString() const {
        size_t end = std::min(*consumed_, text_.size());
        if (end == 0) return LocationAt(0);
        size_t i = end - 1; // the closing quote
        while (i > 0) {
            --i;
            if (text_[i] == '"') {
                size_t slashes = 0;
                while (i >= slashes + 1 && text_[i - slashes - 1] == '\\') ++slashes;
                if (slashes % 2 == 0) return LocationAt(i);
            }
        }
        return LocationAt(0);
    }

    Location LocationAt(size_t offset) const {
        int line = 1, column = 1;
        for (size_t i = 0; i < offset && i < text_.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(text_[i]);
            if (c == '\n') {
                ++line;
                column = 1;
            } else if ((c & 0xC0) != 0x80) {
                ++column;
            }
        }
        return Location{path_, line, column};
    }

    std::string_view text_;
    std::string path_;
    const size_t* consumed_;
    std::vector<Frame> stack_;
    std::string key_;
    Location key_location_;
    SyntaxFile file_;
    std::optional<Diagnostic> error_;
};

} // namespace

std::expected<SyntaxFile, Diagnostics> ParseGraphJson(std::string_view text, const std::string& path) {
    size_t consumed = 0;
    TreeBuilder builder(text, path, &consumed);
    CountingIterator first(text.data(), &consumed), last(text.data() + text.size(), nullptr);
    bool ok = nlohmann::json::sax_parse(first, last, &builder, nlohmann::json::input_format_t::json, true, true);
    if (!ok || builder.error()) {
        if (builder.error()) return std::unexpected(Diagnostics{*builder.error()});
        return std::unexpected(Diagnostics{Diagnostic{Location{path, 1, 1}, "invalid JSON"}});
    }
    return builder.TakeFile();
}

} // namespace kith::graph
