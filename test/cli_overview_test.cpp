// `kith overview` and `kith personalization` as scripts use them: `kith run` queues and delivers events of three
// activations on the fixture warehouse (file destinations, one of them unwritable), then the overview's counts are
// checked against the outbox, one step's events are listed page by page, and the personalization syntax of an
// enriched activation is printed.
#include "common/text.hpp"
#include "store/store.hpp"
#include "support/fixture_dir.hpp"
#include "support/run_kith.hpp"
#include "warehouse/warehouse.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Outcome = kith::test::KithOutcome;

class CliOverview : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = kith::test::TestDir("kith_cli_overview");
        ASSERT_EQ(kith::test::MakeFixtureDir(root_), "");
        // pro: p1 (user_id u1), p3 (no user_id), p4 (user_id 42).
        Write("pro.json", R"({"kind": "audience", "key": "pro", "name": "Pro",
            "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                           "filter": {"op": "equals", "value": "pro"}}]}]}, "enabled": true})");
        // Identify events need a user_id: p3's is filtered at source.
        Write("pro_identify.json", R"({"kind": "activation", "key": "pro_identify", "audience": "pro",
            "destination": {"type": "file", "path": "out/identify.ndjson"}, "trigger": "membership_changed",
            "identifiers": [{"type": "user_id", "as": "userId"}],
            "enrichment": {"traits": ["plan"]}})");
        Write("pro_entered.json", R"({"kind": "activation", "key": "pro_entered", "audience": "pro",
            "destination": {"type": "file", "path": "out/entered.ndjson"}, "trigger": "profile_enters",
            "event_name": "Pro Entered",
            "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "userId"}]})");
        // A folder that does not exist: every attempt fails and is retried later.
        Write("pro_missing.json", R"({"kind": "activation", "key": "pro_missing", "audience": "pro",
            "destination": {"type": "file", "path": "missing/events.ndjson"}, "trigger": "profile_enters",
            "identifiers": [{"type": "segment_id", "as": "userId"}]})");
        Outcome applied = Kith("apply --config " + Config() + " " + (root_ / "dir").string());
        ASSERT_EQ(applied.code, 0) << applied.err;
    }
    void TearDown() override { fs::remove_all(root_); }

    void Write(const std::string& name, const std::string& text) { std::ofstream(root_ / "dir" / name) << text; }
    std::string Config() const { return (root_ / "kith.toml").string(); }
    Outcome Kith(const std::string& args) { return kith::test::RunKith(args); }
    Outcome Overview(const std::string& flags) { return Kith("overview --config " + Config() + " " + flags); }
    static json Json(const Outcome& o) {
        EXPECT_EQ(o.code, 0) << o.err;
        json j = json::parse(o.out, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON: " << o.out;
        return j;
    }

    // Runs pro and delivers what it can within a second: the unwritable destination's events are left to retry.
    int64_t Run() {
        Outcome r = Kith("run --quiet --timeout 1 --config " + Config() + " --audience pro");
        EXPECT_EQ(r.code, 4) << r.err; // pro_missing's events are still pending
        json summary = json::parse(r.out, nullptr, false);
        EXPECT_EQ(summary["status"], "completed") << r.out;
        return summary.value("run_id", int64_t{0});
    }

    // The outbox's events of a run, counted per "activation|event" and step, from the store.
    std::map<std::string, std::map<std::string, int64_t>> OutboxCounts(int64_t run_id) {
        auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
        EXPECT_TRUE(store) << store.error().ToString();
        std::map<int64_t, std::string> keys;
        auto activations = (*store)->ListActivations(1);
        EXPECT_TRUE(activations);
        for (const auto& a : *activations) keys[a.id] = a.spec.key;
        auto events = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.RunEvents(run_id); });
        EXPECT_TRUE(events);
        std::map<std::string, std::map<std::string, int64_t>> out;
        using kith::store::EventStatus;
        for (const auto& e : *events) {
            auto& c = out[keys[e.activation_id] + "|" + e.event_name];
            ++c["from_audience"];
            if (e.status == EventStatus::FILTERED) ++c["filtered_at_" + e.filter_stage];
            if (e.status == EventStatus::PENDING) ++c[e.attempts == 0 ? "queued" : "pending_retry"];
            if (e.status == EventStatus::FAILED) ++c["failed"];
            if (e.status == EventStatus::DELIVERED) ++c["delivered"];
        }
        return out;
    }

    fs::path root_;
};

constexpr const char* kSteps[] = {"filtered_at_source", "filtered_at_destination", "queued", "pending_retry", "failed",
                                  "delivered"};

TEST_F(CliOverview, CountsAddUpAndMatchTheOutbox) {
    int64_t run = Run();
    json o = Json(Overview("--json --bucket none"));
    EXPECT_EQ(o["from"], nullptr);
    EXPECT_EQ(o["bucket_ms"], nullptr);
    ASSERT_EQ(o["rows"].size(), 3u) << o.dump();
    auto outbox = OutboxCounts(run);
    std::map<std::string, int64_t> total;
    for (const json& row : o["rows"]) {
        std::string name = row["activation"].get<std::string>() + "|" + row["event"].get<std::string>();
        EXPECT_FALSE(row.contains("bucket_start"));
        int64_t sum = 0;
        for (const char* step : kSteps) sum += row[step].get<int64_t>();
        EXPECT_EQ(row["from_audience"], sum) << name;
        for (const auto& [step, n] : row.items()) {
            if (step == "activation" || step == "event") continue;
            EXPECT_EQ(n, outbox[name][step]) << name << " " << step;
            total[step] += n.get<int64_t>();
        }
    }
    for (const auto& [step, n] : total) EXPECT_EQ(o["total"][step], n) << step;

    // Ordered by activation key; the figures the run's deliveries give.
    EXPECT_EQ(o["rows"][0]["activation"], "pro_entered");
    EXPECT_EQ(o["rows"][0]["event"], "Pro Entered");
    EXPECT_EQ(o["rows"][0]["delivered"], 3);
    EXPECT_EQ(o["rows"][1]["activation"], "pro_identify");
    EXPECT_EQ(o["rows"][1]["event"], "");
    EXPECT_EQ(o["rows"][1]["filtered_at_source"], 1);
    EXPECT_EQ(o["rows"][1]["delivered"], 2);
    EXPECT_EQ(o["rows"][2]["activation"], "pro_missing");
    EXPECT_EQ(o["rows"][2]["event"], "Audience Entered");
    EXPECT_EQ(o["rows"][2]["pending_retry"], 3);
    EXPECT_EQ(o["total"]["from_audience"], 9);

    // Hourly buckets (the default): every event of the run falls in the hour it was queued.
    json hourly = Json(Overview("--json"));
    EXPECT_EQ(hourly["bucket_ms"], 3'600'000);
    int64_t from_audience = 0;
    for (const json& row : hourly["rows"]) {
        EXPECT_TRUE(row["bucket_start"].get<std::string>().ends_with(":00:00.000Z")) << row.dump();
        from_audience += row["from_audience"].get<int64_t>();
    }
    EXPECT_EQ(from_audience, 9);
    // Buckets of minutes come from the running totals, finer ones from the events: the same totals either way.
    for (const char* bucket : {"1m", "15m", "30s", "1500ms"}) {
        json b = Json(Overview(std::string("--json --bucket ") + bucket));
        EXPECT_EQ(b["total"], o["total"]) << bucket;
    }

    // Narrowed to one activation, one event name, or a time range.
    json one = Json(Overview("--json --bucket none --activation pro_identify"));
    ASSERT_EQ(one["rows"].size(), 1u);
    EXPECT_EQ(one["rows"][0]["from_audience"], 3);
    json named = Json(Overview("--json --bucket none --event 'Pro Entered'"));
    ASSERT_EQ(named["rows"].size(), 1u);
    EXPECT_EQ(named["rows"][0]["activation"], "pro_entered");
    json identify = Json(Overview("--json --bucket none --event ''"));
    ASSERT_EQ(identify["rows"].size(), 1u);
    EXPECT_EQ(identify["rows"][0]["activation"], "pro_identify");
    json later = Json(Overview("--json --from 2100-01-01T00:00:00Z"));
    EXPECT_EQ(later["from"], "2100-01-01T00:00:00.000Z");
    EXPECT_TRUE(later["rows"].empty());
    EXPECT_EQ(later["total"]["from_audience"], 0);
    json earlier = Json(Overview("--json --bucket 1d --from 2000-01-01 --to 2100-01-01T00:00:00+01:00"));
    EXPECT_EQ(earlier["to"], "2099-12-31T23:00:00.000Z");
    EXPECT_EQ(earlier["total"]["from_audience"], 9);

    // The table names the steps as the spec does; identify events have no name.
    Outcome text = Overview("--bucket none");
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_EQ(text.out.substr(0, text.out.find('\n')),
              "activation    event             from audience  filtered at source  filtered at destination  queued  "
              "pending retry  failed  delivered");
    EXPECT_NE(text.out.find("\npro_entered   Pro Entered                   3                   0"), std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("pro_identify  (identify)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("total"), std::string::npos) << text.out;
}

TEST_F(CliOverview, ListsAStepsEventsWithTheirReasonPageByPage) {
    Run();
    json filtered = Json(Overview("--json --list filtered_at_source"));
    EXPECT_EQ(filtered["step"], "filtered_at_source");
    ASSERT_EQ(filtered["events"].size(), 1u);
    const json& e = filtered["events"][0];
    EXPECT_EQ(e["activation"], "pro_identify");
    EXPECT_EQ(e["status"], "filtered");
    EXPECT_EQ(e["filter_stage"], "source");
    EXPECT_EQ(e["status_code"], 0);
    EXPECT_EQ(e["reason"], "no userId: the profile has no identifier of type user_id");
    EXPECT_EQ(filtered["next_after"], nullptr);

    // Five delivered events, two a page.
    std::vector<std::string> ids;
    std::string after;
    int pages = 0;
    while (true) {
        json page = Json(Overview("--json --list delivered --limit 2" + after));
        ++pages;
        for (const json& d : page["events"]) {
            EXPECT_EQ(d["status"], "delivered");
            EXPECT_EQ(d["attempts"], 1);
            ids.push_back(d["message_id"]);
        }
        if (page["next_after"].is_null()) break;
        EXPECT_EQ(page["next_after"], page["events"].back()["id"]);
        after = " --after " + std::to_string(page["next_after"].get<int64_t>());
        ASSERT_LT(pages, 10);
    }
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(ids.size(), 5u);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 5u);

    // Nothing failed for good yet; the retried events are not a listable step.
    EXPECT_TRUE(Json(Overview("--json --list failed"))["events"].empty());
    Outcome tsv = Overview("--list from_audience --activation pro_missing --limit 2");
    ASSERT_EQ(tsv.code, 0) << tsv.err;
    EXPECT_EQ(tsv.out.substr(0, tsv.out.find('\n')),
              "id\tmessage_id\tactivation\tevent\tqueued_at\tattempts\tstatus_code\treason");
    EXPECT_EQ(std::count(tsv.out.begin(), tsv.out.end(), '\n'), 3);
    EXPECT_NE(tsv.out.find("\tpro_missing\tAudience Entered\t"), std::string::npos) << tsv.out;
    EXPECT_NE(tsv.err.find("more events follow: --after "), std::string::npos) << tsv.err;
}

TEST_F(CliOverview, UsageErrors) {
    EXPECT_EQ(Overview("--bucket 2x").code, 2);
    EXPECT_EQ(Overview("--bucket -1h").code, 2);
    EXPECT_EQ(Overview("--list pending_retry").code, 2);
    EXPECT_EQ(Overview("--from yesterday").code, 2);
    EXPECT_EQ(Overview("--limit 5").code, 2); // --limit needs --list
    Outcome unknown = Overview("--activation nope");
    EXPECT_EQ(unknown.code, 1);
    EXPECT_NE(unknown.err.find("no activation with key nope"), std::string::npos) << unknown.err;
    json empty = Json(Overview("--json"));
    EXPECT_TRUE(empty["rows"].empty());
}

TEST_F(CliOverview, PersonalizationSyntaxOfAnActivation) {
    // Entity enrichment needs an audience that uses the relationships: abandoned carts and their products.
    Write("abandoners.json", R"({"kind": "audience", "key": "abandoners", "name": "Abandoners",
        "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
            "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
                "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}]},
                "children": {"conditions": [{"type": "entity", "relationship": "cart-products"}]}}]}}]}]}})");
    Write("carts.json", R"({"kind": "activation", "key": "carts", "audience": "abandoners",
        "destination": {"type": "file", "path": "out/carts.ndjson"}, "trigger": "entity_enters",
        "entity": "account-carts", "event_name": "Cart Entered",
        "enrichment": {"traits": ["plan"], "entities": {"account-carts": ["TOTAL"], "cart-products": ["NAME"]}}})");
    Outcome applied = Kith("apply --config " + Config() + " " + (root_ / "dir").string());
    ASSERT_EQ(applied.code, 0) << applied.err;
    json p = Json(Kith("personalization --json --config " + Config() + " --activation carts"));
    EXPECT_EQ(p["activation"], "carts");
    EXPECT_EQ(p["event_type"], "track");
    EXPECT_EQ(p["event"], "Cart Entered");
    ASSERT_EQ(p["fields"].size(), 4u) << p.dump();
    EXPECT_EQ(p["fields"][0], json::parse(R"({"property": "plan", "kind": "value", "source": "trait",
        "column": "plan", "braze": "{{event_properties.plan}}", "iterable": "{{plan}}"})"));
    EXPECT_EQ(p["fields"][1]["property"], "account_carts__ID");
    EXPECT_EQ(p["fields"][2]["braze"], "{{event_properties.account_carts__TOTAL}}");
    const json& products = p["fields"][3];
    EXPECT_EQ(products["property"], "account_carts__cart_products");
    EXPECT_EQ(products["kind"], "list");
    EXPECT_EQ(products["item_fields"], json::parse(R"(["SKU", "NAME", "__entity"])"));
    EXPECT_EQ(products["braze"],
              "{% for p in event_properties.account_carts__cart_products %}{{p.NAME}}{% endfor %}");
    EXPECT_EQ(products["iterable"], "{{#each account_carts__cart_products}}{{NAME}}{{/each}}");
    EXPECT_EQ(products["iterable_loop"]["open"], "{{#each account_carts__cart_products}}");

    Outcome identify = Kith("personalization --config " + Config() + " --activation pro_identify");
    ASSERT_EQ(identify.code, 0) << identify.err;
    EXPECT_EQ(identify.out, "plan (trait)\n  Braze:    {{custom_attribute.${plan}}}\n  Iterable: {{plan}}\n");
    Outcome none = Kith("personalization --config " + Config() + " --activation pro_entered");
    ASSERT_EQ(none.code, 0) << none.err;
    EXPECT_NE(none.out.find("carry no enriched field"), std::string::npos) << none.out;
    EXPECT_EQ(Kith("personalization --config " + Config() + " --activation nope").code, 1);
}

} // namespace
