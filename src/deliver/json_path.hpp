// A path into a JSON value in the notation of Segment's mapping kit, shared by mappings (`@path`, `@arrayPath`,
// `@template` placeholders) and destination filters (`field`): `$.properties.plan`, `properties.plan`,
// `$.user_carts__products[0].SKU`, `a['b c']`. `$.`, `$`, `.` and "" are the value itself.
//
//   JsonPath p = JsonPath::Parse("$.properties.user_carts__products[0].SKU");
//   if (const nlohmann::json* sku = p.Find(event)) ...; // nullptr: undefined
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kith::deliver {

class JsonPath {
public:
    //! Splits text the way mapping-kit does: a leading `$.` is dropped; `.` separates steps; `[` before a digit or
    //! a quote and `]` after one separate steps too (so `a[0]`, `a.0`, `a["b"]` and `a['b']` work, while `a[b]` is
    //! one key); empty steps are skipped and quotes are removed. Any text is a path.
    static JsonPath Parse(std::string_view text);

    //! The value at the path, or nullptr (undefined) when a step does not exist. A step into an object takes the
    //! member of that name; into an array, the element at that decimal index (no sign, no leading zero); into
    //! anything else (a string, a number, null) it is undefined.
    const nlohmann::json* Find(const nlohmann::json& root) const;

    //! Whether the path is the value itself.
    bool IsRoot() const { return steps_.empty(); }
    //! Whether this path is `other` or leads into it, or `other` leads into this one: their values overlap.
    bool Overlaps(const JsonPath& other) const;

private:
    struct Step {
        std::string key;
        size_t index; //!< the array index key names, or npos when key is not one
    };
    std::vector<Step> steps_;
};

} // namespace kith::deliver
