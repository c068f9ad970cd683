#include "engine/warehouse_catalog.hpp"
#include "apply/apply.hpp"
#include "apply/document.hpp"

#include "common/text.hpp"
#include "graph/builder.hpp"
#include "warehouse/warehouse.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kith::apply {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(ApplyDocument, YamlScalarsFollowTheCoreSchema) {
    auto v = ParseYamlDocument(R"(
kind: audience
n: 12
big: 99999999999999999999
f: 1.5
t: true
nothing: null
tilde: ~
quoted: "12"
time: 08:00
list: [mon, thu]
nested: {a: [1, {b: no}]}
)",
                               "a.yaml");
    ASSERT_TRUE(v) << v.error().ToString();
    EXPECT_EQ(*v, json::parse(R"({"kind": "audience", "n": 12, "big": 1e20, "f": 1.5, "t": true, "nothing": null,
        "tilde": null, "quoted": "12", "time": "08:00", "list": ["mon", "thu"], "nested": {"a": [1, {"b": "no"}]}})"));
}

TEST(ApplyDocument, SyntaxErrorsHaveLineAndColumn) {
    auto y = ParseYamlDocument("kind: audience\nkey: [unclosed\n", "a.yaml");
    ASSERT_FALSE(y);
    EXPECT_EQ(y.error().code, ErrorCode::INVALID);
    EXPECT_TRUE(y.error().location.starts_with("a.yaml:")) << y.error().location;
    auto dup = ParseYamlDocument("kind: audience\nkind: activation\n", "a.yaml");
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().ToString(), "a.yaml:2:1: duplicate key \"kind\"");
    auto j = ParseJsonDocument("{\n  \"kind\": ,\n}", "a.json");
    ASSERT_FALSE(j);
    EXPECT_EQ(j.error().location, "a.json:2:11");
}

// A folder of files, a DuckDB fixture warehouse, the fixture graph and a store, in a temp dir.
class ApplyTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() /
                ("kith_apply_test_" + std::to_string(getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_ / "dir");
        auto sql = text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
        ASSERT_TRUE(sql);
        auto wh = warehouse::Open("duckdb:" + (root_ / "w.duckdb").string());
        ASSERT_TRUE(wh) << wh.error().ToString();
        warehouse_ = std::move(*wh);
        ASSERT_TRUE(warehouse_->Execute(*sql));
        auto g = graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
        ASSERT_TRUE(g);
        graph_.emplace(std::move(*g));
        catalog_ = std::make_unique<engine::WarehouseCatalog>(*warehouse_);
        auto s = store::Store::Open((root_ / "state.sqlite").string());
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
    }
    void TearDown() override { fs::remove_all(root_); }

    void Write(const std::string& name, const std::string& text) { std::ofstream(root_ / "dir" / name) << text; }
    std::string File(const std::string& name) { return (root_ / "dir" / name).string(); }

    std::expected<Report, Failure> Apply() {
        Context ctx{*graph_, catalog_.get(), *store_, 1, root_.string()}; // file destinations beneath the test folder
        return ApplyDirectory((root_ / "dir").string(), ctx);
    }
    static std::string Problems(const Failure& f) {
        std::string out = f.fatal ? "fatal: " + f.fatal->ToString() + "\n" : "";
        for (const auto& p : f.problems) out += p.ToString() + "\n";
        return out;
    }
    static std::string Changes(const Report& r) {
        std::string out;
        for (const auto& o : r.objects) out += o.kind + " " + o.key + " " + std::string(store::ChangeName(o.change)) + "\n";
        return out;
    }

    void WriteValid() {
        Write("pro.json", R"({"kind": "audience", "key": "pro", "name": "Pro plan",
            "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                           "filter": {"op": "equals", "value": "pro"}}]}]},
            "schedule": {"type": "interval", "every": "1h"}, "enabled": true})");
        Write("carts.yaml", R"(kind: audience
key: pro_abandoners
name: Pro abandoners
folder: Retention
definition:
  groups:
    - conditions:
        - type: audience
          audience: pro
        - type: entity
          relationship: user-accounts
          children:
            conditions:
              - type: entity
                relationship: account-carts
                where:
                  filters: [{column: STATUS, op: equals, value: abandoned}]
schedule: {type: days, days: [mon, thu], time: "08:00", timezone: Europe/Paris}
)");
        Write("carts_file.json", R"({"kind": "activation", "key": "carts_file", "audience": "pro_abandoners",
            "destination": {"type": "file", "path": "events.ndjson"}, "action": "send",
            "trigger": "entity_enters", "entity": "account-carts", "event_name": "Cart Entered",
            "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "email", "as": "context.traits.email"}],
            "enrichment": {"traits": ["plan"], "entities": {"account-carts": ["TOTAL"]}},
            "mapping": null, "backfill": true, "enabled": true})");
    }

    fs::path root_;
    std::unique_ptr<warehouse::Warehouse> warehouse_;
    std::optional<graph::DataGraph> graph_;
    std::unique_ptr<engine::WarehouseCatalog> catalog_;
    std::unique_ptr<store::Store> store_;
};

TEST_F(ApplyTest, AppliesOnceThenChangesNothing) {
    WriteValid();
    auto first = Apply();
    ASSERT_TRUE(first) << Problems(first.error());
    EXPECT_EQ(Changes(*first), "audience pro created\naudience pro_abandoners created\nactivation carts_file created\n");
    auto again = Apply();
    ASSERT_TRUE(again) << Problems(again.error());
    EXPECT_EQ(Changes(*again),
              "audience pro unchanged\naudience pro_abandoners unchanged\nactivation carts_file unchanged\n");
    auto a = store_->GetAudience(1, "pro_abandoners");
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->spec.folder, "Retention");
    EXPECT_EQ((*a)->spec.schedule["timezone"], "Europe/Paris");
    EXPECT_EQ(store_->AudienceHistory((*a)->id)->size(), 1u);
    auto acts = store_->ListActivations(1);
    ASSERT_EQ(acts->size(), 1u);
    EXPECT_EQ((*acts)[0].spec.entity, "account-carts");
    EXPECT_EQ((*acts)[0].spec.identifiers[1]["as"], "context.traits.email");
}

TEST_F(ApplyTest, YamlAndJsonAreTheSame) {
    WriteValid();
    ASSERT_TRUE(Apply());
    // The same audience written as JSON instead of YAML changes nothing.
    fs::remove(File("carts.yaml"));
    Write("carts.json", R"({"kind": "audience", "key": "pro_abandoners", "name": "Pro abandoners", "folder": "Retention",
      "definition": {"groups": [{"conditions": [{"type": "audience", "audience": "pro"},
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
          {"type": "entity", "relationship": "account-carts",
           "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}]}}]}}]}]},
      "schedule": {"type": "days", "days": ["mon", "thu"], "time": "08:00", "timezone": "Europe/Paris"}})");
    auto r = Apply();
    ASSERT_TRUE(r) << Problems(r.error());
    EXPECT_EQ(Changes(*r), "audience pro unchanged\naudience pro_abandoners unchanged\nactivation carts_file unchanged\n");
}

TEST_F(ApplyTest, ARealChangeAddsAHistoryVersion) {
    WriteValid();
    ASSERT_TRUE(Apply());
    Write("pro.json", R"({"kind": "audience", "key": "pro", "name": "Pro plan",
        "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                       "filter": {"op": "one_of", "value": ["pro", "enterprise"]}}]}]},
        "schedule": {"type": "interval", "every": "1h"}, "enabled": true})");
    auto r = Apply();
    ASSERT_TRUE(r) << Problems(r.error());
    EXPECT_EQ(Changes(*r), "audience pro updated\naudience pro_abandoners unchanged\nactivation carts_file unchanged\n");
    auto a = store_->GetAudience(1, "pro");
    EXPECT_EQ((*a)->version, 2);
    auto h = store_->AudienceHistory((*a)->id);
    ASSERT_EQ(h->size(), 2u);
    EXPECT_EQ((*h)[1].definition["groups"][0]["conditions"][0]["filter"]["op"], "one_of");
    // Renaming only updates the row; the definition history stays.
    Write("pro.json", R"({"kind": "audience", "key": "pro", "name": "Pro or enterprise",
        "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                       "filter": {"op": "one_of", "value": ["pro", "enterprise"]}}]}]},
        "schedule": {"type": "interval", "every": "1h"}, "enabled": true})");
    r = Apply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->objects[0].change, store::Change::UPDATED);
    EXPECT_EQ(store_->AudienceHistory((*a)->id)->size(), 2u);
}

TEST_F(ApplyTest, EveryProblemIsReportedAndNothingIsWritten) {
    WriteValid();
    Write("broken.json", R"({"kind": "audience", "key": "broken", "name": "Broken",
        "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "bigger"}}]}]},
        "schedule": {"type": "interval", "every": "5m"}})");
    Write("hook.yml", R"(kind: activation
key: hook
audience: missing_one
destination: {type: webhook, method: FETCH}
trigger: entity_enters
)");
    auto r = Apply();
    ASSERT_FALSE(r);
    ASSERT_FALSE(r.error().fatal) << r.error().fatal->ToString();
    std::string p = Problems(r.error());
    EXPECT_NE(p.find(File("broken.json") + ":/schedule/every: \"every\" must be one of 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h or 1d, found \"5m\""), std::string::npos) << p;
    EXPECT_NE(p.find(File("broken.json") + ":/definition/groups/0/conditions/0/filter/op:"), std::string::npos) << p;
    EXPECT_NE(p.find(File("hook.yml") + ":/audience: no audience \"missing_one\""), std::string::npos) << p;
    EXPECT_NE(p.find(File("hook.yml") + ":: missing \"entity\""), std::string::npos) << p;
    EXPECT_NE(p.find(File("hook.yml") + ":/destination: missing \"url\""), std::string::npos) << p;
    EXPECT_NE(p.find(File("hook.yml") + ":/destination/method: unknown method \"FETCH\""), std::string::npos) << p;
    // The valid files were not applied either.
    EXPECT_TRUE(store_->ListAudiences(1)->empty());
    EXPECT_TRUE(store_->ListActivations(1)->empty());
}

TEST_F(ApplyTest, ActivationRules) {
    WriteValid();
    Write("bad_entity.json", R"({"kind": "activation", "key": "bad_entity", "audience": "pro",
        "destination": {"type": "braze", "endpoint": "https://rest.iad-01.braze.com", "api_key": "k"},
        "trigger": "entity_exits", "entity": "account-carts",
        "enrichment": {"entities": {"user-cards": ["NETWORK"]}}})");
    Write("bad_trigger.json", R"({"kind": "activation", "key": "bad_trigger", "audience": "pro",
        "destination": {"type": "carrier-pigeon"}, "trigger": "sometimes",
        "identifiers": [{"type": "email"}, "userId"], "colour": "blue"})");
    Write("bad_action.json", R"({"kind": "activation", "key": "bad_action", "audience": "pro",
        "destination": {"type": "iterable", "apiKey": "k", "base_url": "ftp://x", "dataCenterLocation": "mars",
                        "api_key": "k"}, "action": "send",
        "trigger": "membership_changed", "event_name": "Changed", "entity": "user-accounts"})");
    Write("no_endpoint.json", R"({"kind": "activation", "key": "no_endpoint", "audience": "pro",
        "destination": {"type": "braze", "api_key": "k"}, "trigger": "profile_enters"})");
    Write("wrong_endpoint.json", R"({"kind": "activation", "key": "wrong_endpoint", "audience": "pro",
        "destination": {"type": "braze", "api_key": "k", "endpoint": "https://rest.iad-99.braze.com"},
        "trigger": "profile_enters"})");
    auto r = Apply();
    ASSERT_FALSE(r);
    std::string p = Problems(r.error());
    auto has = [&](const std::string& file, const std::string& rest) {
        EXPECT_NE(p.find(File(file) + ":" + rest), std::string::npos) << "missing " << rest << " in\n" << p;
    };
    has("bad_entity.json", "/entity: audience \"pro\" does not use relationship \"account-carts\"");
    has("bad_entity.json", "/enrichment/entities/user-cards: audience \"pro\" does not use relationship \"user-cards\"");
    has("bad_trigger.json", "/trigger: unknown trigger \"sometimes\"");
    has("bad_trigger.json", "/destination/type: unknown destination type \"carrier-pigeon\"");
    has("bad_trigger.json", "/identifiers/0: missing \"as\"");
    has("bad_trigger.json", "/identifiers/1: an identifier must be an object");
    has("bad_trigger.json", "/colour: unknown key \"colour\"");
    has("no_endpoint.json", "/destination: missing \"endpoint\" (or \"base_url\", which replaces it)");
    has("wrong_endpoint.json", "/destination/endpoint: unknown endpoint \"https://rest.iad-99.braze.com\"");
    has("bad_action.json", "/action: unknown action \"send\" for a iterable destination");
    has("bad_action.json", "/destination/base_url: must be an http:// or https:// URL");
    has("bad_action.json", "/destination/dataCenterLocation: unknown dataCenterLocation \"mars\" (expected "
                           "united_states, europe)");
    has("bad_action.json", "/destination/api_key: unknown key \"api_key\"");
    has("bad_action.json", "/event_name: membership_changed sends identify events");
    has("bad_action.json", "/entity: \"entity\" applies only to entity_enters and entity_exits triggers");
}

// A file destination writes only beneath [delivery] file_root: absolute paths outside it, "..", links out of it and
// kernel files are problems at /destination/path of their file.
TEST_F(ApplyTest, FilePathsStayBeneathTheFileRoot) {
    WriteValid();
    fs::create_directories(root_ / "outside");
    fs::create_directory_symlink(root_ / "outside", root_ / "escape");
    fs::create_symlink("/proc/self/mem", root_ / "mem.ndjson");
    auto activation = [&](const std::string& key, const std::string& path) {
        Write(key + ".json", fmt::format(R"({{"kind": "activation", "key": "{}", "audience": "pro",
            "trigger": "profile_enters", "destination": {{"type": "file", "path": {}}}}})",
                                         key, json(path).dump()));
    };
    activation("abs", "/etc/passwd");
    activation("proc", "/proc/self/mem");
    activation("up", "../../../etc/passwd");
    activation("link", "escape/events.ndjson");
    activation("mem", "mem.ndjson");
    activation("inside", (root_ / "out" / "events.ndjson").string());
    auto r = Apply();
    ASSERT_FALSE(r);
    std::string p = Problems(r.error());
    auto has = [&](const std::string& file, const std::string& rest) {
        EXPECT_NE(p.find(File(file) + ":/destination/path: " + rest), std::string::npos) << "missing " << rest
                                                                                           << " in\n" << p;
    };
    has("abs.json", "\"/etc/passwd\" is outside [delivery] file_root (" + root_.string() + ")");
    has("proc.json", "\"/proc/self/mem\" is outside [delivery] file_root");
    has("up.json", "\"../../../etc/passwd\" climbs with \"..\"");
    has("link.json", "\"escape/events.ndjson\": a symbolic link on the way leads out of [delivery] file_root");
    has("mem.json", "\"mem.ndjson\": it is a symbolic link");
    EXPECT_EQ(p.find(File("inside.json")), std::string::npos) << p;
    EXPECT_EQ(r.error().problems.size(), 5u) << p;
    auto stored = store_->ListActivations(1);
    ASSERT_TRUE(stored);
    EXPECT_TRUE(stored->empty()); // nothing was applied
}

TEST_F(ApplyTest, MappingsAndFiltersAreCheckedWithPointersIntoTheFile) {
    WriteValid();
    Write("braze_bad.json", R"({"kind": "activation", "key": "braze_bad", "audience": "pro", "trigger": "profile_enters",
        "destination": {"type": "braze", "endpoint": "https://rest.iad-01.braze.com", "api_key": "k",
                        "filter": {"drop": {"field": "properties.plan", "operator": "==", "value": "free"}}},
        "action": "trackEvent",
        "mapping": {"colour": "blue", "name": {"@path": 5},
                    "properties": {"plan": {"@if": {"exists": {"@path": "$.properties.plan"}}}},
                    "_update_existing_only": "no"}})");
    Write("hook_bad.yaml", R"(kind: activation
key: hook_bad
audience: pro
trigger: profile_exits
destination:
  type: webhook
  url: http://127.0.0.1:9999/in
  filter: {keep: {and: []}, when: always}
mapping: [userId]
)");
    Write("file_bad.yaml", R"(kind: activation
key: file_bad
audience: pro
trigger: profile_exits
destination: {type: file, path: out.ndjson, filter: "plan = free"}
mapping:
  user: {"@path": "$.userId"}
  name: {"@template": "Hi {{traits.first_name}}", "@case": {operator: upper}}
)");
    auto r = Apply();
    ASSERT_FALSE(r);
    ASSERT_FALSE(r.error().fatal) << r.error().fatal->ToString();
    const std::string braze = File("braze_bad.json") + ":";
    const std::string hook = File("hook_bad.yaml") + ":";
    const std::string file = File("file_bad.yaml") + ":";
    EXPECT_EQ(Problems(r.error()),
              braze + "/destination/filter/drop/operator: unknown operator \"==\" (expected =, !=, <, <=, >, >=, "
                      "contains, not_contains, starts_with, ends_with, in, not_in, exists, not_exists)\n" +
              braze + "/mapping/colour: unknown field \"colour\" of action trackEvent (fields: name, time, external_id, "
                      "user_alias, braze_id, email, properties, _update_existing_only, enable_batching, batch_size)\n" +
              braze + "/mapping/name/@path: @path must be a string or a directive, found an integer\n" +
              braze + "/mapping/properties/plan/@if: @if needs \"then\" or \"else\"\n" +
              braze + "/mapping/_update_existing_only: field \"_update_existing_only\" must be true or false, found the "
                      "string \"no\"\n" +
              file + "/destination/filter: \"filter\" must be an object, found a string\n" +
              file + "/mapping/name: a directive has exactly one @ key, found 2: \"@case\", \"@template\"\n" +
              hook + "/destination/filter/when: unknown key \"when\" in a filter (allowed: keep, drop)\n" +
              hook + "/destination/filter/keep/and: \"and\" must be a non-empty array of conditions, found an empty "
                     "array\n" +
              hook + "/mapping: \"mapping\" must be an object or null, found an array\n");
    EXPECT_TRUE(store_->ListActivations(1)->empty());

    // Fixed, they are applied, mapping and filter as written.
    Write("braze_bad.json", R"({"kind": "activation", "key": "braze_bad", "audience": "pro", "trigger": "profile_enters",
        "destination": {"type": "braze", "endpoint": "https://rest.iad-01.braze.com", "api_key": "k",
                        "filter": {"drop": {"field": "properties.plan", "operator": "=", "value": "free"}}},
        "action": "trackEvent",
        "mapping": {"name": {"@template": "{{properties.audience_key}} entered"},
                    "properties": {"plan": {"@if": {"exists": {"@path": "$.properties.plan"}, "then": {"@path": "$.properties.plan"}}}},
                    "_update_existing_only": true}})");
    fs::remove(File("hook_bad.yaml"));
    fs::remove(File("file_bad.yaml"));
    auto fixed = Apply();
    ASSERT_TRUE(fixed) << Problems(fixed.error());
    auto acts = store_->ListActivations(1);
    ASSERT_EQ(acts->size(), 2u);
    const auto& a = (*acts)[0].spec.key == "braze_bad" ? (*acts)[0].spec : (*acts)[1].spec;
    EXPECT_EQ(a.mapping["_update_existing_only"], true);
    EXPECT_EQ(a.destination["filter"]["drop"]["operator"], "=");
}

// Mappings as Segment's destinations export them (each field's default, Segment's batching fields, _metadata) apply
// unchanged under Segment's action and setting names.
TEST_F(ApplyTest, MappingsExportedFromSegmentApplyUnchanged) {
    WriteValid();
    Write("braze.json", R"({"kind": "activation", "key": "braze", "audience": "pro", "trigger": "profile_enters",
        "destination": {"type": "braze", "api_key": "k", "app_id": "app", "endpoint": "https://rest.fra-01.braze.eu"},
        "action": "trackEvent",
        "mapping": {"external_id": {"@path": "$.userId"},
                    "email": {"@if": {"exists": {"@path": "$.context.traits.email"},
                                      "then": {"@path": "$.context.traits.email"}, "else": {"@path": "$.properties.email"}}},
                    "braze_id": {"@path": "$.properties.braze_id"}, "name": {"@path": "$.event"},
                    "time": {"@path": "$.receivedAt"}, "properties": {"@path": "$.properties", "_metadata": {"label": "x"}},
                    "_update_existing_only": false, "enable_batching": true, "batch_size": 75}})");
    Write("iterable.json", R"({"kind": "activation", "key": "iterable", "audience": "pro", "trigger": "membership_changed",
        "destination": {"type": "iterable", "apiKey": "k", "dataCenterLocation": "europe"},
        "action": "updateUser",
        "mapping": {"email": {"@path": "$.traits.email"}, "userId": {"@path": "$.userId"},
                    "dataFields": {"@path": "$.traits"}, "phoneNumber": {"@path": "$.traits.phone"},
                    "mergeNestedObjects": false, "enable_batching": true, "updateOnly": false, "batch_size": 1001}})");
    Write("segment.json", R"({"kind": "activation", "key": "segment", "audience": "pro", "trigger": "profile_exits",
        "destination": {"type": "segment", "source_write_key": "wk"},
        "action": "sendTrack",
        "mapping": {"user_id": {"@path": "$.userId"}, "event_name": {"@path": "$.event"},
                    "properties": {"@path": "$.properties"}, "message_id": {"@path": "$.messageId"},
                    "consent": {"@path": "$.context.consent"}}})");
    auto r = Apply();
    ASSERT_TRUE(r) << Problems(r.error());
    auto acts = store_->ListActivations(1);
    ASSERT_TRUE(acts);
    auto it = std::find_if(acts->begin(), acts->end(), [](const auto& a) { return a.spec.key == "iterable"; });
    ASSERT_NE(it, acts->end());
    EXPECT_EQ(it->spec.action, "updateUser");
    EXPECT_EQ(it->spec.mapping["batch_size"], 1001);
}

TEST_F(ApplyTest, ActivationsMayNameAudiencesAlreadyInTheStore) {
    WriteValid();
    ASSERT_TRUE(Apply());
    fs::remove(File("carts_file.json"));
    fs::remove(File("carts.yaml"));
    Write("pro_hook.json", R"({"kind": "activation", "key": "pro_hook", "audience": "pro_abandoners",
        "destination": {"type": "webhook", "url": "http://127.0.0.1:9999/in", "batch_size": 10},
        "trigger": "entity_exits", "entity": "user-accounts"})");
    auto r = Apply();
    ASSERT_TRUE(r) << Problems(r.error());
    EXPECT_EQ(Changes(*r), "audience pro unchanged\nactivation pro_hook created\n");
    auto acts = store_->ListActivations(1);
    ASSERT_EQ(acts->size(), 2u);
    EXPECT_EQ((*acts)[1].spec.action, "send"); // the webhook's default action
    EXPECT_EQ((*acts)[1].spec.event_name, "");   // the trigger's default (Entity Exited) when events are built

    // What the API answers for it ("event_name": "") applies again unchanged: an empty name is the default.
    Write("pro_hook.json", R"({"kind": "activation", "key": "pro_hook", "audience": "pro_abandoners",
        "destination": {"type": "webhook", "url": "http://127.0.0.1:9999/in", "batch_size": 10},
        "trigger": "entity_exits", "entity": "user-accounts", "event_name": ""})");
    auto again = Apply();
    ASSERT_TRUE(again) << Problems(again.error());
    EXPECT_EQ(Changes(*again), "audience pro unchanged\nactivation pro_hook unchanged\n");
}

TEST_F(ApplyTest, DuplicateKeysAndUnknownKinds) {
    WriteValid();
    Write("pro_again.yaml", "kind: audience\nkey: pro\ndefinition: {groups: []}\n");
    Write("thing.json", R"({"kind": "segment", "key": "x"})");
    Write("list.json", "[1, 2]");
    Write("syntax.json", "{\"kind\": \"audience\",\n \"key\": }");
    Write("notes.txt", "ignored");
    auto r = Apply();
    ASSERT_FALSE(r);
    std::string p = Problems(r.error());
    EXPECT_NE(p.find(File("pro_again.yaml") + ":/key: audience \"pro\" is also defined in " + File("pro.json")),
              std::string::npos)
        << p;
    EXPECT_NE(p.find(File("thing.json") + ":/kind: unknown kind \"segment\""), std::string::npos) << p;
    EXPECT_NE(p.find(File("list.json") + ":: the file must hold one object, found an array"), std::string::npos) << p;
    EXPECT_NE(p.find(File("syntax.json") + ":2:9: invalid JSON"), std::string::npos) << p;
    EXPECT_EQ(p.find("notes.txt"), std::string::npos) << p;
}

TEST_F(ApplyTest, ScheduleRules) {
    if (!fs::is_directory("/usr/share/zoneinfo")) GTEST_SKIP() << "no time zone database on this machine";
    Write("a.yaml", R"(kind: audience
key: a
definition: {groups: [{conditions: [{type: trait, trait: plan}]}]}
schedule: {type: days, days: [mon, mon, funday], time: "24:00", timezone: Mars/Olympus_Mons}
)");
    Write("b.yaml", R"(kind: audience
key: b-1
definition: {groups: [{conditions: [{type: trait, trait: plan}]}]}
schedule: {type: days, days: [sun], time: "23:59", timezone: ../../etc/passwd, at: now}
)");
    auto r = Apply();
    ASSERT_FALSE(r);
    EXPECT_EQ(Problems(r.error()), File("a.yaml") + ":/schedule/days/1: duplicate weekday \"mon\" (also at /days/0)\n" +
                                       File("a.yaml") + ":/schedule/days/2: unknown weekday \"funday\" (expected mon, tue, wed, "
                                                        "thu, fri, sat or sun)\n" +
                                       File("a.yaml") + ":/schedule/time: \"time\" must be a time of day HH:MM from 00:00 to "
                                                        "23:59, found \"24:00\"\n" +
                                       File("a.yaml") + ":/schedule/timezone: unknown IANA time zone \"Mars/Olympus_Mons\" (such "
                                                        "as \"Europe/Paris\", \"UTC\")\n" +
                                       File("b.yaml") + ":/schedule/at: unknown key \"at\" in a days schedule (allowed: type, "
                                                        "days, time, timezone)\n" +
                                       File("b.yaml") + ":/schedule/timezone: unknown IANA time zone \"../../etc/passwd\" (such as "
                                                        "\"Europe/Paris\", \"UTC\")\n");
}

TEST_F(ApplyTest, MissingFolderIsFatal) {
    Context ctx{*graph_, catalog_.get(), *store_, 1, root_.string()};
    auto r = ApplyDirectory((root_ / "nope").string(), ctx);
    ASSERT_FALSE(r);
    ASSERT_TRUE(r.error().fatal);
    EXPECT_EQ(r.error().fatal->code, ErrorCode::IO);
}

} // namespace
} // namespace kith::apply
