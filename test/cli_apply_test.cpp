// `kith apply --config FILE DIR` as scripts use it: summary, idempotence, all or nothing.
#include "common/text.hpp"
#include "support/fixture_dir.hpp"
#include "support/run_kith.hpp"
#include "store/store.hpp"
#include "warehouse/warehouse.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

using Outcome = kith::test::KithOutcome;

class CliApply : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = kith::test::TestDir("kith_cli_apply");
        ASSERT_EQ(kith::test::MakeFixtureDir(root_), "");
    }
    void TearDown() override { fs::remove_all(root_); }

    Outcome Apply(const std::string& extra = "") {
        return kith::test::RunKith("apply --config " + (root_ / "kith.toml").string() + " " + (root_ / "dir").string() +
                                   extra);
    }
    void Write(const std::string& name, const std::string& text) { std::ofstream(root_ / "dir" / name) << text; }
    std::string File(const std::string& name) { return (root_ / "dir" / name).string(); }
    std::unique_ptr<kith::store::Store> Store() {
        auto s = kith::store::Store::Open((root_ / "state.sqlite").string());
        EXPECT_TRUE(s) << s.error().ToString();
        return s ? std::move(*s) : nullptr;
    }

    void WriteValid() {
        Write("vip.json", R"({"kind": "audience", "key": "vip", "name": "Pro plan",
            "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                           "filter": {"op": "equals", "value": "pro"}}]}]},
            "schedule": {"type": "manual"}, "enabled": true})");
        Write("vip_hook.yaml", R"(kind: activation
key: vip_hook
audience: vip
destination: {type: webhook, url: "http://127.0.0.1:9/hook", method: POST, headers: {X-Token: abc}, batch_size: 1}
action: send
trigger: profile_enters
identifiers:
  - {type: user_id, as: userId}
mapping: null
)");
    }

    fs::path root_;
};

TEST_F(CliApply, AppliesThenReapplyingChangesNothing) {
    WriteValid();
    Outcome first = Apply();
    EXPECT_EQ(first.code, 0) << first.err;
    EXPECT_EQ(first.out, "created    audience    vip (" + File("vip.json") + ")\n" +
                             "created    activation  vip_hook (" + File("vip_hook.yaml") + ")\n" +
                             "apply: 2 created, 0 updated, 0 unchanged\n");
    Outcome second = Apply();
    EXPECT_EQ(second.code, 0) << second.err;
    EXPECT_NE(second.out.find("apply: 0 created, 0 updated, 2 unchanged\n"), std::string::npos) << second.out;
    auto s = Store();
    auto a = s->GetAudience(1, "vip");
    ASSERT_TRUE(a && *a);
    EXPECT_EQ(s->AudienceHistory((*a)->id)->size(), 1u);
    EXPECT_TRUE(fs::exists(root_ / "state.sqlite"));
}

TEST_F(CliApply, TwoBrokenFilesAreBothReportedAndNothingChanges) {
    WriteValid();
    ASSERT_EQ(Apply().code, 0);
    // A real change in a valid file, next to two broken files: none of it is applied.
    Write("vip.json", R"({"kind": "audience", "key": "vip", "name": "Pro plan",
        "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                       "filter": {"op": "equals", "value": "enterprise"}}]}]}})");
    Write("a_broken.json", R"({"kind": "audience", "key": "broken", "name": "Broken",
        "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-spaceships"}]}]}})");
    Write("z_broken.yml", "kind: activation\nkey: z\naudience: vip\ntrigger: profile_enters\n"
                          "destination: {type: braze, endpoint: https://x.braze.com}\n");
    Outcome r = Apply();
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(File("a_broken.json") + ":/definition/groups/0/conditions/0/relationship: "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(File("z_broken.yml") + ":/destination: missing \"api_key\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was applied"), std::string::npos) << r.err;
    auto s = Store();
    auto a = s->GetAudience(1, "vip");
    EXPECT_EQ((*a)->spec.definition["groups"][0]["conditions"][0]["filter"]["value"], "pro");
    EXPECT_EQ((*a)->version, 1);
    EXPECT_EQ(s->ListAudiences(1)->size(), 1u);
    EXPECT_EQ(s->ListActivations(1)->size(), 1u);
}

TEST_F(CliApply, YamlAndJsonFilesAreEquivalent) {
    WriteValid();
    ASSERT_EQ(Apply().code, 0);
    fs::remove(File("vip.json"));
    Write("vip.yaml", R"(kind: audience
key: vip
name: Pro plan
definition:
  groups:
    - conditions:
        - {type: trait, trait: plan, filter: {op: equals, value: pro}}
schedule: {type: manual}
enabled: true
)");
    Outcome r = Apply();
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("apply: 0 created, 0 updated, 2 unchanged\n"), std::string::npos) << r.out;
}

TEST_F(CliApply, ARealChangeGrowsTheHistory) {
    WriteValid();
    ASSERT_EQ(Apply().code, 0);
    Write("vip.json", R"({"kind": "audience", "key": "vip", "name": "Pro plan",
        "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                       "filter": {"op": "one_of", "value": ["pro", "enterprise"]}}]}]},
        "schedule": {"type": "manual"}, "enabled": true})");
    Outcome r = Apply();
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("updated    audience    vip"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("apply: 0 created, 1 updated, 1 unchanged\n"), std::string::npos) << r.out;
    auto s = Store();
    auto a = s->GetAudience(1, "vip");
    auto h = s->AudienceHistory((*a)->id);
    ASSERT_EQ(h->size(), 2u);
    EXPECT_EQ((*h)[1].definition["groups"][0]["conditions"][0]["filter"]["op"], "one_of");
}

TEST_F(CliApply, ConfigAndUsageErrors) {
    std::ofstream(root_ / "kith.toml") << "warehouse = \"duckdb:w.duckdb\"\nlisten = 80\n";
    Outcome bad = Apply();
    EXPECT_EQ(bad.code, 1);
    EXPECT_EQ(bad.err, (root_ / "kith.toml").string() + ":2:10: listen must be a string, found an integer\n");
    std::string bin = std::string(KITH_BINARY_DIR) + "/kith";
    EXPECT_EQ(WEXITSTATUS(system((bin + " apply " + (root_ / "dir").string() + " 2>/dev/null").c_str())), 2);
}

} // namespace
