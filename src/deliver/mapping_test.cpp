#include "deliver/mapping.hpp"

#include <gtest/gtest.h>

namespace kith::deliver {
namespace {

using nlohmann::json;

// The mapping evaluated on the payload, as compact JSON, or "undefined".
std::string Eval(const char* mapping, const char* payload) {
    auto v = EvaluateMapping(json::parse(mapping), json::parse(payload));
    return v ? v->dump() : "undefined";
}

struct Case {
    const char* name;
    const char* mapping;
    const char* payload;
    const char* expected; // compact JSON (keys sorted), or "undefined"
};

void Check(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        EXPECT_TRUE(ValidateMapping(json::parse(c.mapping)).empty()) << c.name;
        EXPECT_EQ(Eval(c.mapping, c.payload), c.expected) << c.name << ": " << c.mapping;
    }
}

TEST(Mapping, ConstantsObjectsAndArrays) {
    Check({
        {"empty mapping", "{}", R"({"cool": false})", "{}"},
        {"constants pass through", R"({"cool": true, "n": 1.5, "list": [1, "a"]})", "{}",
         R"({"cool":true,"list":[1,"a"],"n":1.5})"},
        {"a scalar mapping", R"("neat")", "{}", R"("neat")"},
        {"undefined is dropped, null is kept", R"({"foo": {"@path": "$.a"}, "bar": {"@path": "$.b"}, "baz": null})",
         R"({"a": 1})", R"({"baz":null,"foo":1})"},
        {"nested undefined", R"({"x": {"y": {"z": {"@path": "$.nope"}}, "w": 1}, "foo": 1})", "{}",
         R"({"foo":1,"x":{"w":1,"y":{}}})"},
        {"undefined in an array is null", R"(["a", {"@path": "$.nope"}, {"@path": "$.a"}])", R"({"a": 1})",
         R"(["a",null,1])"},
        {"_metadata beside a directive", R"({"@path": "$.a", "_metadata": {"label": "A"}})", R"({"a": 1})", "1"},
    });
}

TEST(Mapping, Path) {
    const char* payload = R"({"foo": {"bar": 42, "baz": [{"num": 1}, {"num": 2}]}, "hello": "world", "n": null,
                             "integrations": {"Actions Amplitude": {"session_id": "bar"}}, "name": "foo"})";
    Check({
        {"top level", R"({"@path": "$.hello"})", payload, R"("world")"},
        {"nested", R"({"@path": "$.foo.bar"})", payload, "42"},
        {"array index", R"({"@path": "$.foo.baz[0].num"})", payload, "1"},
        {"without $.", R"({"@path": "foo.baz.1.num"})", payload, "2"},
        {"root", R"({"@path": "$."})", R"({"foo": "bar"})", R"({"foo":"bar"})"},
        {"empty path is the root", R"({"@path": ""})", R"({"foo": "bar"})", R"({"foo":"bar"})"},
        {"spaces in keys", R"({"@path": "$.integrations.Actions Amplitude.session_id"})", payload, R"("bar")"},
        {"missing", R"({"neat": {"@path": "$.oops"}})", payload, "{}"},
        {"into a number", R"({"neat": {"@path": "$.foo.bar.baz"}})", payload, "{}"},
        {"into null", R"({"neat": {"@path": "$.n.x"}})", payload, "{}"},
        {"null is a value", R"({"neat": {"@path": "$.n"}})", payload, R"({"neat":null})"},
        {"a directive gives the path", R"({"@path": {"@path": "$.name"}})", payload, R"({"bar":42,"baz":[{"num":1},{"num":2}]})"},
    });
}

TEST(Mapping, Template) {
    Check({
        {"basic", R"({"@template": "Hello, {{who}}!"})", R"({"who": "World"})", R"("Hello, World!")"},
        {"nested", R"({"@template": "Hi {{traits.name}}"})", R"({"traits": {"name": "Ada"}})", R"("Hi Ada")"},
        {"missing is empty", R"({"@template": "Hello, {{traits.fullName}}!"})", "{}", R"("Hello, !")"},
        {"only a missing value", R"({"@template": "{{oops.yo}}"})", "{}", R"("")"},
        {"no escaping, triple braces", R"({"@template": "<blink>{{a}} {{{a}}}</blink>"})", R"({"a": "<b>Hi</b>"})",
         R"("<blink><b>Hi</b> <b>Hi</b></blink>")"},
        {"spaces inside braces", R"({"@template": "{{ a }}-{{b.c}}"})", R"({"a": 1, "b": {"c": 2}})", R"("1-2")"},
        {"values as JavaScript writes them", R"({"@template": "{{t}} {{n}} {{f}} {{i}} {{z}} {{o}} {{l}}"})",
         R"({"t": true, "n": null, "f": 1.50, "i": 3.0, "z": 0, "o": {"k": 1}, "l": [1, null, "a"]})",
         R"("true  1.5 3 0 [object Object] 1,,a")"},
        {"a stray brace stays", R"({"@template": "{{foo}}}"})", R"({"foo": "hello"})", R"("hello}")"},
        {"unclosed braces stay", R"({"@template": "{{foo} and {{}}"})", R"({"foo": "hello"})", R"("{{foo} and {{}}")"},
        {"a leading $. is accepted", R"({"@template": "{{$.traits.name}}"})", R"({"traits": {"name": "Ada"}})",
         R"("Ada")"},
        {"a value is not rendered again", R"({"@template": "{{{a}}}"})", R"({"a": "{{b}}", "b": "secret"})",
         R"("{{b}}")"},
        {"a directive gives the template", R"({"@template": {"@path": "$.t"}})", R"({"t": "x={{x}}", "x": 7})",
         R"("x=7")"},
    });
}

TEST(Mapping, If) {
    const char* payload = R"({"a": 1, "b": true, "c": false, "d": null, "e": "", "z": 0, "l": [], "s": "0"})";
    auto exists = [](const char* path) {
        return std::string(R"({"@if": {"exists": {"@path": ")") + path + R"("}, "then": 1, "else": 2}})";
    };
    auto blank = [](const char* path) {
        return std::string(R"({"@if": {"blank": {"@path": ")") + path + R"("}, "then": 1, "else": 2}})";
    };
    // exists: not undefined and not null.
    EXPECT_EQ(Eval(exists("$.a").c_str(), payload), "1");
    EXPECT_EQ(Eval(exists("$.d").c_str(), payload), "2");
    EXPECT_EQ(Eval(exists("$.x").c_str(), payload), "2");
    EXPECT_EQ(Eval(exists("$.e").c_str(), payload), "1");
    EXPECT_EQ(Eval(exists("$.c").c_str(), payload), "1");
    // blank: JavaScript's `== ''`, so "", null, undefined, false, 0 and [] are blank; "0" is not.
    EXPECT_EQ(Eval(blank("$.a").c_str(), payload), "1");
    EXPECT_EQ(Eval(blank("$.s").c_str(), payload), "1");
    for (const char* p : {"$.d", "$.x", "$.e", "$.c", "$.z", "$.l"}) EXPECT_EQ(Eval(blank(p).c_str(), payload), "2") << p;
    Check({
        {"no else: undefined", R"({"foo": {"@if": {"exists": {"@path": "$.nope"}, "then": true}}})", payload, "{}"},
        {"no then: undefined", R"({"@if": {"exists": {"@path": "$.a"}, "else": true}})", payload, "undefined"},
        {"branches are directives", R"({"@if": {"exists": {"@path": "$.a"}, "then": {"@path": "$.b"}}})", payload,
         "true"},
        {"false and null branches are values", R"([{"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": false}},
                                                   {"@if": {"exists": {"@path": "$.a"}, "then": null}}])",
         payload, "[false,null]"},
        {"a constant condition", R"({"@if": {"exists": "yes", "then": 1}})", payload, "1"},
    });
}

TEST(Mapping, ArrayPath) {
    const char* data = R"({"products": [{"productId": "123", "price": 0.5}, {"productId": "456", "price": 0.99}],
                          "properties": {"productId": "789", "price": 1}, "tags": ["a", "b"], "s": "text"})";
    Check({
        {"without a shape", R"({"neat": {"@arrayPath": ["$.products"]}})", data,
         R"({"neat":[{"price":0.5,"productId":"123"},{"price":0.99,"productId":"456"}]})"},
        {"a shape relative to each item",
         R"({"@arrayPath": ["$.products", {"product_id": {"@path": "$.productId"}, "monies": {"@path": "$.price"}}]})",
         data, R"([{"monies":0.5,"product_id":"123"},{"monies":0.99,"product_id":"456"}])"},
        {"the path from a directive",
         R"({"@arrayPath": [{"@if": {"exists": {"@path": "$.products"}, "then": {"@path": "$.products"}, "else": []}},
                             {"id": {"@path": "$.productId"}}]})",
         data, R"([{"id":"123"},{"id":"456"}])"},
        {"an object is one item", R"({"@arrayPath": ["$.properties", {"id": {"@path": "productId"}}]})", data,
         R"([{"id":"789"}])"},
        {"items that lack the shape's fields", R"({"@arrayPath": ["$.products", {"id": {"@path": "$.sku"}}]})",
         data, "[{},{}]"},
        {"scalar items", R"({"@arrayPath": ["$.tags", {"tag": {"@path": "$."}}]})", data,
         R"([{"tag":"a"},{"tag":"b"}])"},
        {"a shape that is a directive", R"({"@arrayPath": ["$.products", {"@path": "$.price"}]})", data, "[0.5,0.99]"},
        {"an empty shape is no shape", R"({"@arrayPath": ["$.tags", {}]})", data, R"(["a","b"])"},
        {"not an array or object: as is", R"({"@arrayPath": ["$.s", {"x": 1}]})", data, R"("text")"},
        {"missing", R"({"neat": {"@arrayPath": ["$.nope", {"x": 1}]}})", data, "{}"},
        {"the kith event's enriched children",
         R"({"@arrayPath": ["$.properties.user_carts__products", {"sku": {"@path": "$.SKU"}}]})",
         R"({"properties": {"user_carts__products": [{"SKU": "324", "NAME": "Tennis Shoes", "__entity": "product"}]}})",
         R"([{"sku":"324"}])"},
    });
}

TEST(Mapping, Literal) {
    Check({
        {"a boolean", R"({"simple": {"@literal": false}})", "{}", R"({"simple":false})"},
        {"a template-looking string", R"({"@literal": "{{x}}"})", R"({"x": 1})", R"("{{x}}")"},
        {"constants in arrays", R"([{"@literal": 1}, {"a": {"@literal": [true]}}])", "{}", R"([1,{"a":[true]}])"},
        {"directives inside are evaluated, as in mapping-kit",
         R"({"nested": {"@literal": {"a": {"@path": "$.a"}, "b": {"@path": "$.b"}}}})", R"({"a": "some value"})",
         R"({"nested":{"a":"some value"}})"},
    });
}

TEST(Mapping, Merge) {
    const char* payload = R"({"traits": {"name": "Mr. Rogers", "greeting": "Neighbor", "neighborhood": "Latrobe"},
                             "properties": {"neighborhood": "Make Believe"}, "foo": {"bar": "baz", "hey": "you"}})";
    Check({
        {"empty", R"({"@merge": {"direction": "left", "objects": []}})", "{}", "{}"},
        {"one object", R"({"@merge": {"direction": "right", "objects": [{"cool": true}]}})", "{}", R"({"cool":true})"},
        {"right: later objects win", R"({"@merge": {"objects": [{"@path": "traits"}, {"@path": "properties"}], "direction": "right"}})",
         payload, R"({"greeting":"Neighbor","name":"Mr. Rogers","neighborhood":"Make Believe"})"},
        {"right, the other way round", R"({"@merge": {"objects": [{"@path": "properties"}, {"@path": "traits"}], "direction": "right"}})",
         payload, R"({"greeting":"Neighbor","name":"Mr. Rogers","neighborhood":"Latrobe"})"},
        {"left: earlier objects win", R"({"@merge": {"direction": "left", "objects": [{"cool": true, "hey": "there"}, {"@path": "foo"}]}})",
         payload, R"({"bar":"baz","cool":true,"hey":"there"})"},
        {"right with a directive", R"({"@merge": {"direction": "right", "objects": [{"cool": true, "hey": "there"}, {"@path": "foo"}]}})",
         payload, R"({"bar":"baz","cool":true,"hey":"you"})"},
        {"defaults", R"({"@merge": {"objects": [{"name": "Missing name", "neighborhood": "Missing neighborhood"}, {"@path": "$.t"}], "direction": "right"}})",
         R"({"t": {"name": "Mr. Rogers"}})", R"({"name":"Mr. Rogers","neighborhood":"Missing neighborhood"})"},
        {"an undefined value overrides too (Object.assign)",
         R"({"@merge": {"direction": "right", "objects": [{"name": "default"}, {"name": {"@path": "$.nope"}, "x": 1}]}})",
         "{}", R"({"x":1})"},
        {"objects that are not objects are skipped",
         R"({"@merge": {"direction": "right", "objects": [{"a": 1}, {"@path": "$.s"}, {"@path": "$.nope"}]}})",
         R"({"s": "text"})", R"({"a":1})"},
    });
}

TEST(Mapping, Json) {
    auto json_of = [](const char* mode) {
        return std::string(R"({"neat": {"@json": {"mode": ")") + mode + R"(", "value": {"@path": "$.foo"}}}})";
    };
    EXPECT_EQ(Eval(json_of("encode").c_str(), R"({"foo": "bar"})"), R"({"neat":"\"bar\""})");
    EXPECT_EQ(Eval(json_of("encode").c_str(), R"({"foo": {"bar": "baz", "n": 1.0}})"), R"({"neat":"{\"bar\":\"baz\",\"n\":1}"})");
    EXPECT_EQ(Eval(json_of("encode").c_str(), R"({"foo": ["bar", "baz"]})"), R"({"neat":"[\"bar\",\"baz\"]"})");
    EXPECT_EQ(Eval(json_of("encode").c_str(), R"({"foo": null})"), R"({"neat":"null"})");
    EXPECT_EQ(Eval(json_of("encode").c_str(), R"({"bad": 1})"), "{}"); // JSON.stringify(undefined) is undefined
    EXPECT_EQ(Eval(json_of("decode").c_str(), R"({"foo": "\"bar\""})"), R"({"neat":"bar"})");
    EXPECT_EQ(Eval(json_of("decode").c_str(), R"({"foo": "{\"bar\":\"baz\"}"})"), R"({"neat":{"bar":"baz"}})");
    EXPECT_EQ(Eval(json_of("decode").c_str(), R"({"foo": "[\"bar\",\"baz\"]"})"), R"({"neat":["bar","baz"]})");
    // Text that is not JSON stays the text (mapping-kit returns the original string).
    EXPECT_EQ(Eval(json_of("decode").c_str(), R"({"foo": "Hello World"})"), R"({"neat":"Hello World"})");
    EXPECT_EQ(Eval(json_of("decode").c_str(), R"({"foo": "{\"a\": 1,}"})"), R"({"neat":"{\"a\": 1,}"})");
    EXPECT_EQ(Eval(json_of("decode").c_str(), R"({"foo": 5})"), R"({"neat":5})");
    EXPECT_EQ(Eval(json_of("decode").c_str(), R"({"foo": null})"), R"({"neat":null})");
    std::string deep = std::string(300, '[') + std::string(300, ']');
    json payload = json::object();
    payload["foo"] = deep;
    json expected = json::object();
    expected["neat"] = deep;
    EXPECT_EQ(Eval(json_of("decode").c_str(), payload.dump().c_str()), expected.dump())
        << "JSON nested deeper than kith walks stays text";
}

TEST(Mapping, Flatten) {
    Check({
        {"objects", R"({"neat": {"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}}})",
         R"({"foo": {"bar": "baz", "aces": {"a": 1, "b": 2}}})", R"({"neat":{"aces.a":1,"aces.b":2,"bar":"baz"}})"},
        {"an array first", R"({"@flatten": {"value": {"@path": "$.foo"}, "separator": "."}})",
         R"({"foo": [{"fazz": "bar", "fizz": "baz"}]})", R"({"0.fazz":"bar","0.fizz":"baz"})"},
        {"nested arrays", R"({"@flatten": {"value": {"@path": "$.a"}, "separator": "_"}})",
         R"({"a": {"b": [{"c": [{"d": 1}]}, {"e": null}]}})", R"({"b_0_c_0_d":1,"b_1_e":null})"},
        {"omitArrays", R"({"neat": {"@flatten": {"value": {"@path": "$.foo"}, "separator": ".", "omitArrays": true}}})",
         R"({"foo": {"bar": "baz", "aces": [1, 2]}})", R"({"neat":{"aces":[1,2],"bar":"baz"}})"},
        {"empty objects vanish", R"({"@flatten": {"value": {"@path": "$."}, "separator": "."}})",
         R"({"a": {}, "b": [], "c": 1})", R"({"c":1})"},
        {"a scalar is the empty key", R"({"@flatten": {"value": "x", "separator": "."}})", "{}", R"({"":"x"})"},
        {"undefined is an empty object", R"({"@flatten": {"value": {"@path": "$.nope"}, "separator": "."}})", "{}",
         "{}"},
    });
}

TEST(Mapping, Case) {
    const char* payload = R"({"a": 1, "b": "MAKE ME LOWER CASE", "c": "make me upper case", "d": null, "e": "",
                             "f": false, "h": {"key1": "with values", "key2": ["hi", true, null]}, "u": "Élodie"})";
    auto op = [](const char* o, const char* path) {
        return std::string(R"({"@case": {"operator": ")") + o + R"(", "value": {"@path": ")" + path + R"("}}})";
    };
    EXPECT_EQ(Eval(op("lower", "$.b").c_str(), payload), R"("make me lower case")");
    EXPECT_EQ(Eval(op("upper", "$.c").c_str(), payload), R"("MAKE ME UPPER CASE")");
    EXPECT_EQ(Eval(op("lower", "$.e").c_str(), payload), R"("")");
    EXPECT_EQ(Eval(op("upper", "$.u").c_str(), payload), R"("ÉLODIE")");
    // Anything but a string is returned as it is.
    EXPECT_EQ(Eval(op("lower", "$.a").c_str(), payload), "1");
    EXPECT_EQ(Eval(op("lower", "$.d").c_str(), payload), "null");
    EXPECT_EQ(Eval(op("lower", "$.f").c_str(), payload), "false");
    EXPECT_EQ(Eval(op("upper", "$.h").c_str(), payload), R"({"key1":"with values","key2":["hi",true,null]})");
    EXPECT_EQ(Eval(op("upper", "$.nope").c_str(), payload), "undefined");
    EXPECT_EQ(Eval(R"({"@case": {"operator": "upper"}})", payload), "undefined");
}

TEST(Mapping, Replace) {
    auto replace = [](const char* options) {
        return std::string(R"({"@replace": {"value": {"@path": "$.a"}, )") + options + "}}";
    };
    struct R {
        const char* options;
        const char* a;
        const char* expected;
    };
    const R cases[] = {
        {R"("pattern": "_", "replacement": "rrrrr")", R"("")", R"("")"},
        {R"("pattern": "_", "replacement": "rrrrr")", "null", R"("")"},
        {R"("pattern": "_", "replacement": "rrrrr")", R"({"x": 1})", R"("")"},
        {R"("pattern": "WW", "replacement": "oo", "ignorecase": false)", R"("cWWl-story-ww")", R"("cool-story-ww")"},
        {R"("pattern": "AaB", "replacement": "nice", "ignorecase": true)", R"("aab-----AaB---aab")",
         R"("nice-----nice---nice")"},
        {R"("pattern": "_", "replacement": "")", R"("nomore_underscore")", R"("nomoreunderscore")"},
        {R"("pattern": "LOL", "replacement": "YAY")", R"("Well Hello there LOL")", R"("Well Hello there YAY")"},
        {R"("pattern": "+", "replacement": "_", "global": true)", R"("many+different+things")",
         R"("many_different_things")"},
        {R"("pattern": "+", "replacement": "_", "global": false)", R"("many+different+things")",
         R"("many_different+things")"},
        {R"("pattern": "aaabbbcccd", "replacement": "")", R"("aaabbbcccd")", R"("")"},
        {R"("pattern": "many+")", R"("many+different+things")", R"("different+things")"},
        {R"("pattern": "true", "replacement": "granted")", "true", R"("granted")"},
        {R"("pattern": "1", "replacement": "granted")", "1", R"("granted")"},
        {R"("pattern": "-", "replacement": " ", "pattern2": "great", "replacement2": "awesome")",
         R"("something-great!")", R"("something awesome!")"},
        {R"("pattern": "true", "replacement": "granted", "pattern2": "false", "replacement2": "denied")", "false",
         R"("denied")"},
        {R"("pattern": ".*", "replacement": "x")", R"("a.*b.c")", R"("axb.c")"},
        {R"("pattern": "b", "replacement": "<$&>")", R"("abc")", R"("a<b>c")"},
        {R"("pattern": "a long pattern, longer than Segment allows", "replacement": "short")",
         R"("a long pattern, longer than Segment allows!")", R"("short!")"},
    };
    for (const auto& c : cases) {
        std::string payload = std::string(R"({"a": )") + c.a + "}";
        EXPECT_EQ(Eval(replace(c.options).c_str(), payload.c_str()), c.expected) << c.options << " on " << c.a;
    }
    EXPECT_EQ(Eval(replace(R"("pattern": "x")").c_str(), "{}"), R"("")") << "undefined gives an empty string";
}

TEST(Mapping, ExcludeWhenNull) {
    const char* payload = R"({"foo": {"bar": null, "aces": {"a": 1, "b": 2}}})";
    Check({
        {"null is left out", R"({"someFieldToExclude": {"@excludeWhenNull": {"@path": "$.foo.bar"}},
                                 "anotherField": {"@path": "$.foo.aces.a"}})",
         payload, R"({"anotherField":1})"},
        {"null members of an object are left out", R"({"neat": {"@excludeWhenNull": {"@path": "$.foo"}}})", payload,
         R"({"neat":{"aces":{"a":1,"b":2}}})"},
        {"deeply, but not inside arrays", R"({"neat": {"@excludeWhenNull": {"@path": "$.foo"}}})",
         R"({"foo": {"bar": null, "aces": {"a": 1, "c": null, "d": {"a": null, "b": null}, "l": [null]}}})",
         R"({"neat":{"aces":{"a":1,"d":{},"l":[null]}}})"},
        {"composed with other directives",
         R"({"massive": {
              "pathNull": {"@excludeWhenNull": {"@path": "$.foo.bar"}},
              "templateEmpty": {"@excludeWhenNull": {"@template": "{{foo.bar}}"}},
              "literalNull": {"@excludeWhenNull": {"@literal": null}},
              "ifNull": {"@excludeWhenNull": {"@if": {"exists": {"@path": "$.foo.foobar"}, "then": 1, "else": null}}},
              "caseNull": {"@excludeWhenNull": {"@case": {"operator": "upper", "value": {"@path": "$.foo.bar"}}}},
              "replaceNull": {"@excludeWhenNull": {"@replace": {"pattern": "-", "replacement": "nice", "value": {"@path": "$.foo.bar"}}}},
              "jsonNull": {"@excludeWhenNull": {"@json": {"mode": "decode", "value": {"@path": "$.foo.bar"}}}},
              "jsonNullEncode": {"@excludeWhenNull": {"@json": {"mode": "encode", "value": {"@path": "$.foo.bar"}}}}}})",
         payload, R"({"massive":{"jsonNullEncode":"null","replaceNull":"","templateEmpty":""}})"},
    });
}

TEST(Mapping, Transform) {
    Check({
        {"maps the mapped payload", R"({"@transform": {"apply": {"foo": {"@path": "$.a"}}, "mapping": {"cool": {"@path": "$.foo"}}}})",
         R"({"a": 1, "b": 2})", R"({"cool":1})"},
        {"composed with @flatten",
         R"({"@transform": {"apply": {"properties": {"@flatten": {"value": {"@path": "$.properties"}, "separator": "_"}}},
                            "mapping": {"properties": {"@path": "$.properties"}, "topLevel": {"@path": "$.properties.nested_a"}}}})",
         R"({"properties": {"test": "value", "nested": {"a": "special", "b": 2}}, "otherStuff": "foo"})",
         R"({"properties":{"nested_a":"special","nested_b":2,"test":"value"},"topLevel":"special"})"},
    });
}

// Each bad mapping, with every problem as "pointer: message".
TEST(Mapping, ValidationNamesEachProblemWithAPointer) {
    struct Bad {
        const char* mapping;
        std::vector<std::string> problems;
    };
    const std::string known = "@arrayPath, @case, @excludeWhenNull, @flatten, @if, @json, @literal, @merge, @path, "
                              "@replace, @template, @transform";
    const Bad cases[] = {
        {R"({"@arrayPath": "nope"})", {"/@arrayPath: @arrayPath takes an array [path] or [path, shape], found a string"}},
        {R"({"@arrayPath": ["$.a", 1]})", {"/@arrayPath/1: the shape of @arrayPath must be an object, found an integer"}},
        {R"({"@arrayPath": [1]})", {"/@arrayPath/0: the path of @arrayPath must be a string or a directive, found an integer"}},
        {R"({"@if": {"exists": true, "then": {"@oops": {}}}})", {"/@if/then/@oops: unknown directive \"@oops\" (known: " + known + ")"}},
        {R"({"@path": false})", {"/@path: @path must be a string or a directive, found a boolean"}},
        {R"({"@path": {"a": 1}})", {"/@path: @path must be a string or a directive, found an object"}},
        {R"({"@template": 123})", {"/@template: @template must be a string or a directive, found an integer"}},
        {R"({"@replace": {"value": {"@path": "$.a"}}})", {"/@replace: missing \"pattern\""}},
        {R"({"@replace": {"pattern": "bla"}})", {"/@replace: missing \"value\""}},
        {R"({"@replace": {"pattern": "", "value": "x"}})", {"/@replace/pattern: \"pattern\" must not be empty"}},
        {R"({"@replace": {"pattern": "+", "value": "x", "global": "bla", "ignorecase": 1}})",
         {"/@replace/ignorecase: \"ignorecase\" must be true or false, found an integer",
          "/@replace/global: \"global\" must be true or false, found a string"}},
        {R"({"@path": "$.foo", "bar": "baz"})", {": a directive has exactly one @ key and nothing else, found \"bar\" beside \"@path\""}},
        {R"({"@path": "$.foo", "@bar": "baz"})", {": a directive has exactly one @ key, found 2: \"@bar\", \"@path\""}},
        {R"({"obj": {"@path": "foo.bar", "oops": true}, "hash": {"@template": {}}})",
         {"/hash/@template: @template must be a string or a directive, found an object",
          "/obj: a directive has exactly one @ key and nothing else, found \"oops\" beside \"@path\""}},
        {R"({"@merge": {"direction": "up", "objects": [{}]}})", {"/@merge/direction: \"direction\" must be \"left\" or \"right\", found \"up\""}},
        {R"({"@merge": {"objects": [{}]}})", {"/@merge: missing \"direction\""}},
        {R"({"@merge": {"direction": "right", "objects": [{}, 1]}})",
         {"/@merge/objects/1: each of \"objects\" must be an object or a directive, found an integer"}},
        {R"({"@merge": {"direction": "right", "objects": {"oops": true}}})", {"/@merge/objects: \"objects\" must be an array, found an object"}},
        {R"({"@json": {"mode": "oops", "value": 1}})", {"/@json/mode: \"mode\" must be \"encode\" or \"decode\", found \"oops\""}},
        {R"({"@json": {"mode": "encode"}})", {"/@json: missing \"value\""}},
        {R"({"@flatten": {"value": 1}})", {"/@flatten: missing \"separator\""}},
        {R"({"@case": {"operator": "title", "value": "x"}})", {"/@case/operator: \"operator\" must be \"lower\" or \"upper\", found \"title\""}},
        {R"({"@case": "not an object"})", {"/@case: @case takes an object with \"value\", \"operator\", found a string"}},
        {R"({"@if": {"then": 1}})", {"/@if: @if needs \"exists\" or \"blank\""}},
        {R"({"@if": {"exists": 1, "blank": 1, "then": 1}})", {"/@if: @if takes \"exists\" or \"blank\", not both"}},
        {R"({"@if": {"exists": 1, "thne": 2}})",
         {"/@if/thne: unknown key \"thne\" in @if (allowed: exists, blank, then, else)"}},
        {R"({"@if": {"exists": 1}})", {"/@if: @if needs \"then\" or \"else\""}},
        {R"({"@transform": {"apply": {}}})", {"/@transform: missing \"mapping\""}},
        {R"({"@liquid": "{{ a | upcase }}"})", {"/@liquid: @liquid is not supported: kith has no Liquid engine (@template fills {{placeholders}})"}},
        {R"({"a/b": {"~c": [{"@nope": 1}]}})", {"/a~1b/~0c/0/@nope: unknown directive \"@nope\" (known: " + known + ")"}},
    };
    for (const auto& c : cases) {
        std::vector<std::string> got;
        for (const auto& e : ValidateMapping(json::parse(c.mapping))) got.push_back(e.pointer + ": " + e.message);
        EXPECT_EQ(got, c.problems) << c.mapping;
        EXPECT_EQ(EvaluateMapping(json::parse(c.mapping), json::object()), std::nullopt) << c.mapping;
    }
}

// v wrapped `levels` times by wrap (which takes the value and returns the new outer one), without copying it.
template <typename Wrap> json Nest(json v, int levels, Wrap wrap) {
    for (int i = 0; i < levels; ++i) v = wrap(std::move(v));
    return v;
}

TEST(Mapping, DeepNestingIsAnErrorNotACrash) {
    auto in_a = [](json v) {
        json o = json::object();
        o["a"] = std::move(v);
        return o;
    };
    auto errors = ValidateMapping(Nest("x", 10000, in_a));
    ASSERT_EQ(errors.size(), 1u);
    std::string pointer;
    for (int i = 0; i < 64; ++i) pointer += "/a";
    EXPECT_EQ(errors[0].pointer, pointer);
    EXPECT_EQ(errors[0].message, "the mapping nests deeper than 64 levels");
    EXPECT_TRUE(ValidateMapping(Nest("x", 64, in_a)).empty()) << "64 levels are fine";
    EXPECT_EQ(ValidateMapping(Nest("x", 65, in_a)).size(), 1u);

    json ifs = Nest(json{{"@path", "$.a"}}, 3000, [](json v) {
        json options = json::object();
        options["exists"] = std::move(v);
        options["then"] = 1;
        json o = json::object();
        o["@if"] = std::move(options);
        return o;
    });
    EXPECT_EQ(ValidateMapping(ifs).size(), 1u);
    json arrays = Nest(json::array(), 10000, [](json v) {
        json a = json::array();
        a.push_back(std::move(v));
        return a;
    });
    EXPECT_EQ(ValidateMapping(arrays).size(), 1u);

    // A deep payload is walked only so far.
    json payload = json::object();
    payload["p"] = Nest(1, 5000, [](json v) {
        json a = json::array();
        a.push_back(std::move(v));
        return a;
    });
    EXPECT_EQ(EvaluateMapping(json::parse(R"({"@json": {"mode": "encode", "value": {"@path": "$.p"}}})"), payload),
              std::nullopt);
    EXPECT_EQ(EvaluateMapping(json::parse(R"({"@flatten": {"separator": ".", "value": {"@path": "$.p"}}})"), payload),
              std::nullopt);
    EXPECT_EQ(EvaluateMapping(json::parse(R"({"@template": "{{p}}"})"), payload), std::nullopt);
    auto compiled = CompiledMapping::Compile(Action{"send", "free-form", {}},
                                             json::parse(R"({"x": {"@excludeWhenNull": {"@path": "$.q"}}})"));
    ASSERT_TRUE(compiled);
    json q = json::object();
    q["q"] = Nest(json::object(), 5000, in_a);
    auto mapped = compiled->Map(q);
    ASSERT_FALSE(mapped);
    EXPECT_EQ(mapped.error().message, "@excludeWhenNull: the value nests deeper than 256 levels");
}

// ---------------------------------------------------------------------------------------------------------------
// Actions

// The event of activations.md.
const json kEvent = json::parse(R"({
  "type": "track",
  "event": "Entity Entered",
  "messageId": "m-1",
  "timestamp": "2026-11-28T09:00:00Z",
  "userId": "u-123",
  "properties": {
    "audience_key": "premium_abandoners",
    "first_name": "Ada",
    "user_carts__ID": "c-9",
    "user_carts__TOTAL": 140,
    "user_carts__products": [{"SKU": "324", "NAME": "Tennis Shoes", "__entity": "product"}],
    "__entity": "cart"
  },
  "context": {
    "traits": {"email": "ada@example.com"},
    "personas": {"computation_class": "audience", "computation_key": "premium_abandoners"}
  }
})");

const Action& ActionOf(const char* type, const char* action) {
    const DestinationType* t = FindDestinationType(type);
    EXPECT_NE(t, nullptr) << type;
    const Action* a = FindAction(*t, action);
    EXPECT_NE(a, nullptr) << action;
    return *a;
}

std::string Mapped(const Action& action, const char* mapping, const json& event = kEvent) {
    auto r = MapEvent(action, json::parse(mapping), event);
    return r ? r->dump() : "error: " + r.error().ToString();
}

TEST(ActionMapping, EveryDefaultMappingIsValid) {
    for (const auto& t : DestinationTypes()) {
        for (const auto& a : t.actions) {
            auto errors = ValidateActionMapping(a, nullptr);
            for (const auto& e : errors) ADD_FAILURE() << t.type << "." << a.name << ": " << e.pointer << ": " << e.message;
        }
    }
}

TEST(ActionMapping, BrazeAndIterableDefaultsOnAKithEvent) {
    const std::string props = kEvent["properties"].dump();
    EXPECT_EQ(Mapped(ActionOf("braze", "trackEvent"), "null"),
              R"({"_update_existing_only":false,"batch_size":75,"email":"ada@example.com","enable_batching":true,)"
              R"("external_id":"u-123","name":"Entity Entered","properties":)" + props +
                  R"(,"time":"2026-11-28T09:00:00Z"})");
    // A track event has no traits: the attributes are its properties. current_location's default is an object of
    // paths the event lacks: {} (the request leaves it out).
    EXPECT_EQ(Mapped(ActionOf("braze", "updateUserProfile"), "null"),
              R"({"_update_existing_only":false,"batch_size":75,"current_location":{},"custom_attributes":)" + props +
                  R"(,"email":"ada@example.com","enable_batching":true,"external_id":"u-123"})");
    json identify = json::parse(R"({"type": "identify", "userId": "u-1", "traits": {"premium_abandoners": true}})");
    EXPECT_EQ(Mapped(ActionOf("braze", "updateUserProfile"), "null", identify),
              R"({"_update_existing_only":false,"batch_size":75,"current_location":{},)"
              R"("custom_attributes":{"premium_abandoners":true},"enable_batching":true,"external_id":"u-1"})");
    EXPECT_EQ(Mapped(ActionOf("iterable", "trackEvent"), "null"),
              R"({"batch_size":1001,"createdAt":"2026-11-28T09:00:00Z","dataFields":)" + props +
                  R"(,"email":"ada@example.com","enable_batching":true,"eventName":"Entity Entered","id":"m-1",)"
                  R"("userId":"u-123"})");
    // The activation's mapping overrides some fields; null leaves an optional field out.
    EXPECT_EQ(Mapped(ActionOf("iterable", "updateUser"),
                     R"({"dataFields": {"name": {"@path": "$.properties.first_name"},
                                        "carts": {"@arrayPath": ["$.properties.user_carts__products", {"sku": {"@path": "$.SKU"}}]}},
                         "preferUserId": false, "email": null})"),
              R"({"batch_size":1001,"dataFields":{"carts":[{"sku":"324"}],"name":"Ada"},"enable_batching":true,)"
              R"("mergeNestedObjects":false,"preferUserId":false,"userId":"u-123"})");
    EXPECT_EQ(Mapped(ActionOf("braze", "trackEvent"),
                     R"({"name": {"@template": "{{properties.audience_key}}: {{event}}"},
                         "properties": {"total": {"@path": "$.properties.user_carts__TOTAL"}},
                         "_update_existing_only": true})"),
              R"({"_update_existing_only":true,"batch_size":75,"email":"ada@example.com","enable_batching":true,)"
              R"("external_id":"u-123","name":"premium_abandoners: Entity Entered",)"
              R"("properties":{"total":140},"time":"2026-11-28T09:00:00Z"})");
}

TEST(ActionMapping, FieldErrorsNameTheField) {
    const Action& track = ActionOf("braze", "trackEvent");
    json no_name = kEvent;
    no_name.erase("event");
    EXPECT_EQ(Mapped(track, "null", no_name), R"(error: required field "name" has no value (mapping {"@path":"$.event"}))");
    json empty_name = kEvent;
    empty_name["event"] = "";
    EXPECT_EQ(Mapped(track, "null", empty_name), R"(error: required field "name" has no value (mapping {"@path":"$.event"}))");
    EXPECT_EQ(Mapped(track, R"({"time": {"@path": "$.properties.first_name"}})"),
              R"(error: field "time" must be a date and time (an ISO 8601 string or a number), found the string "Ada")");
    EXPECT_EQ(Mapped(track, R"({"external_id": {"@path": "$.properties.user_carts__TOTAL"}})"),
              R"(error: field "external_id" must be a string, found an integer)");
    EXPECT_EQ(Mapped(track, R"({"properties": {"@path": "$.properties.user_carts__products"}})"),
              R"(error: field "properties" must be an object, found an array)");
    EXPECT_EQ(Mapped(track, R"({"name": {"@path": {"@path": "$.properties.user_carts__TOTAL"}}})"),
              R"(error: field "name": @path needs a string, found an integer)");
    // Empty optional fields are left out; an integer field takes a float without a fraction.
    const Action& custom = ActionOf("iterable", "trackEvent");
    json e = kEvent;
    e["context"]["traits"]["email"] = "";
    e["properties"]["campaign"] = 12.0;
    e["properties"]["template"] = 12.5;
    EXPECT_EQ(Mapped(custom, R"({"campaignId": {"@path": "$.properties.campaign"}, "dataFields": null})", e),
              R"({"batch_size":1001,"campaignId":12,"createdAt":"2026-11-28T09:00:00Z","enable_batching":true,)"
              R"("eventName":"Entity Entered","id":"m-1","userId":"u-123"})");
    EXPECT_EQ(Mapped(custom, R"({"templateId": {"@path": "$.properties.template"}})", e),
              R"(error: field "templateId" must be an integer, found a number)");
}

TEST(ActionMapping, DatesAndTimes) {
    const Action& track = ActionOf("braze", "trackEvent");
    for (const char* ok : {"2026-11-28T09:00:00Z", "2026-11-28", "2026-11-28T09:00", "2026-11-28 09:00:00.123456+01:00",
                           "2024-02-29T23:59:60-0530", "2026-11-28T09:00:00+05"}) {
        json e = kEvent;
        e["timestamp"] = ok;
        EXPECT_EQ(MapEvent(track, nullptr, e).has_value(), true) << ok;
    }
    for (const char* bad : {"yesterday", "2026-11-31", "2025-02-29", "2026-13-01", "2026-11-28T24:00:00Z",
                            "2026-11-28T09:00:00Q", "2026-11-28T09", "2026-11-28T09:00:00+0", "26-11-28"}) {
        json e = kEvent;
        e["timestamp"] = bad;
        EXPECT_EQ(MapEvent(track, nullptr, e).has_value(), false) << bad;
    }
    json e = kEvent;
    e["timestamp"] = 1795856400;
    EXPECT_TRUE(MapEvent(track, nullptr, e).has_value()) << "epoch seconds";
}

TEST(ActionMapping, ValidationOfAnActionsMapping) {
    const Action& track = ActionOf("braze", "trackEvent");
    auto problems = [&](const Action& action, const char* mapping) {
        std::vector<std::string> out;
        for (const auto& e : ValidateActionMapping(action, json::parse(mapping))) out.push_back(e.pointer + ": " + e.message);
        return out;
    };
    const std::string fields = "name, time, external_id, user_alias, braze_id, email, properties, _update_existing_only, enable_batching, batch_size";
    EXPECT_EQ(problems(track, "null"), std::vector<std::string>{});
    EXPECT_EQ(problems(track, "{}"), std::vector<std::string>{});
    EXPECT_EQ(problems(track, R"({"colour": "blue", "name": null, "_update_existing_only": "yes",
                                 "properties": {"@path": 1}, "email": {"@template": "{{traits.email}}"}})"),
              (std::vector<std::string>{
                  "/colour: unknown field \"colour\" of action trackEvent (fields: " + fields + ")",
                  "/name: required field \"name\" cannot be null",
                  "/properties/@path: @path must be a string or a directive, found an integer",
                  "/_update_existing_only: field \"_update_existing_only\" must be true or false, found the string \"yes\"",
              }));
    EXPECT_EQ(problems(track, R"({"time": ""})"), (std::vector<std::string>{"/time: required field \"time\" cannot be empty"}));
    EXPECT_EQ(problems(track, R"({"@path": "$.properties"})"),
              (std::vector<std::string>{": the mapping of action trackEvent must be an object of its fields (" + fields +
                                        ") or null, found a directive"}));
    EXPECT_EQ(problems(track, "[1]"),
              (std::vector<std::string>{": the mapping of action trackEvent must be an object of its fields (" + fields +
                                        ") or null, found an array"}));
    Action strict{"strict", "an action with a required field and no default", {{"id", FieldType::STRING, true, "", "the id"}}};
    EXPECT_EQ(problems(strict, "null"),
              (std::vector<std::string>{": missing required field \"id\" of action strict (it has no default)"}));
    EXPECT_EQ(problems(strict, R"({"id": "fixed"})"), std::vector<std::string>{});
    const Action& send = ActionOf("webhook", "send");
    EXPECT_EQ(problems(send, R"("text")"),
              (std::vector<std::string>{": the mapping of action send must be an object or null, found a string"}));
    EXPECT_EQ(problems(send, R"({"a": {"@nope": 1}})").size(), 1u);

    auto compiled = CompiledMapping::Compile(track, json::parse(R"({"colour": 1, "name": null})"));
    ASSERT_FALSE(compiled);
    EXPECT_EQ(compiled.error().code, ErrorCode::INVALID);
    EXPECT_EQ(compiled.error().ToString(), "/colour: unknown field \"colour\" of action trackEvent (fields: " + fields +
                                               ") (and 1 more problems)");
}

TEST(ActionMapping, FreeFormActions) {
    const Action& send = ActionOf("webhook", "send");
    EXPECT_EQ(Mapped(send, "null"), kEvent.dump());
    EXPECT_EQ(Mapped(send, R"({"user": {"@path": "$.userId"}, "plan": "pro", "missing": {"@path": "$.nope"}})"),
              R"({"plan":"pro","user":"u-123"})");
    EXPECT_EQ(Mapped(send, R"({"@path": "$.properties.user_carts__products[0]"})"),
              R"({"NAME":"Tennis Shoes","SKU":"324","__entity":"product"})");
    EXPECT_EQ(Mapped(send, R"({"@path": "$.userId"})"), "error: the mapped payload must be an object, found a string");
    EXPECT_EQ(Mapped(send, R"({"@path": "$.nope"})"), "error: the mapping gave no value; the payload must be an object");
}

TEST(ActionMapping, ADefaultConstructedMappingFailsInsteadOfCrashing) {
    CompiledMapping none;
    auto r = none.Map(kEvent);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::INTERNAL);
}

TEST(ActionMapping, MapTakingTheEventGivesTheSameResult) {
    const char* mappings[] = {
        "null",
        R"({"@path": "$."})",
        R"({"props": {"@path": "$.properties"}, "total": {"@path": "$.properties.user_carts__TOTAL"}})",
        R"({"a": {"@path": "$.properties"}, "b": {"@path": "$.properties"}, "c": {"@path": "$.context"}})",
        R"({"all": {"@path": "$."}, "id": {"@path": "$.userId"}})",
        R"({"x": {"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}},
            "y": {"@path": "$.properties.first_name"}})",
    };
    for (const char* m : mappings) {
        auto compiled = CompiledMapping::Compile(ActionOf("webhook", "send"), json::parse(m));
        ASSERT_TRUE(compiled) << m;
        auto copied = compiled->Map(kEvent);
        json event = kEvent;
        auto moved = compiled->Map(std::move(event));
        ASSERT_TRUE(copied && moved) << m;
        EXPECT_EQ(*copied, *moved) << m;
    }
    for (const char* action : {"trackEvent", "updateUserProfile"}) {
        auto compiled = CompiledMapping::Compile(ActionOf("braze", action), nullptr);
        ASSERT_TRUE(compiled);
        json event = kEvent;
        EXPECT_EQ(*compiled->Map(kEvent), *compiled->Map(std::move(event))) << action;
    }
}

} // namespace
} // namespace kith::deliver
