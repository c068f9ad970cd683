// The reference evaluator on the hand-made fixture (test/fixture): each case's
// expected members and matched entities are derived by hand from
// warehouse.sql and audiences.md, at T = 2026-01-01T00:00:00Z.
//
// Facts of the fixture used below (derived by hand):
//   universe: p1..p8 (the row with a NULL canonical id is not a profile).
//   current plan: p1 pro (seq 2 beats 1), p2 none (NULL value at seq 5 is current), p3 pro (both seq NULL, "pro" >
//     "enterprise" bytewise), p4 pro (seq tie 3, "pro" > "free"), p6 Pro, p7 100%_pro\x; p5, p8 none.
//   merges: m1 -> p1, p9 -> p1, m2 -> p2 (p2 < p3); (NULL, m3) and (p4, NULL) are ignored.
//   order_completed counted per profile (no window): p1 e1 (twice, once), e2 (m1), e12 (p9), e13 (at T) = 4, e7 is
//     after T; p2 e3, e6 (m2) = 2, e4 (NULL timestamp) and the NULL id never count; p3 e9, e10 = 2; p4 e14 = 1;
//     e8 (x9) and e11 (NULL segment_id) belong to no profile.
//   user-accounts (email): p1 -> 1 (two rows, two emails), 2; p2 -> 3 (the NULL-key row relates to nothing);
//     p3 -> 4 (Ada@x.com); p6 -> 6; p7 -> 7.
//   user-cards (user_id -> USER_NO BIGINT): p4 '42' -> 1, 2; p6 '0042.0' -> 42 -> 1, 2; p7 '7' -> 3; 'u1', 'u2' do
//     not convert.
//   user-households (trait household_id): p1, p2 -> h1; p3 -> h2; p4 -> h9 (no such household).
#include "reference/evaluator.hpp"
#include "engine/warehouse_catalog.hpp"

#include "engine/warehouse_catalog.hpp"

#include "audience/parser.hpp"
#include "audience/typed_text.hpp"
#include "common/text.hpp"
#include "graph/builder.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace kith::reference {
namespace {

namespace fs = std::filesystem;

fs::path Fixture() {
    return fs::path(KITH_SOURCE_DIR) / "test" / "fixture";
}

MatchedEntity E(std::string profile, std::string relationship, std::string key) {
    return MatchedEntity{std::move(profile), std::move(relationship), std::move(key)};
}

std::string Show(const std::vector<MatchedEntity>& entities) {
    std::string out;
    for (const auto& e : entities) out += "(" + e.profile + ", " + e.relationship + ", " + e.key + ") ";
    return out;
}

class ReferenceEvaluator : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto wh = warehouse::Open("duckdb::memory:");
        ASSERT_TRUE(wh.has_value());
        warehouse_ = std::move(*wh);
        auto sql = text::ReadFile((Fixture() / "warehouse.sql").string());
        ASSERT_TRUE(sql.has_value());
        auto ok = warehouse_->Execute(*sql);
        ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
        auto g = graph::LoadGraph((Fixture() / "graph.hcl").string());
        ASSERT_TRUE(g.has_value());
        graph_ = std::make_unique<graph::DataGraph>(std::move(*g));
        auto ev = Evaluator::Open(*graph_, *warehouse_);
        ASSERT_TRUE(ev.has_value()) << ev.error().ToString();
        evaluator_ = std::make_unique<Evaluator>(std::move(*ev));
        library_ = std::make_unique<audience::MemoryLibrary>();
        library_->Add("pro", R"({"groups": [{"conditions": [
            {"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})");
        library_->Add("has_account", R"({"groups": [{"conditions": [
            {"type": "entity", "relationship": "user-accounts"}]}]})");
        library_->Add("pro_with_account", R"({"groups": [{"conditions": [
            {"type": "audience", "audience": "pro"}, {"type": "audience", "audience": "has_account"}]}]})");
    }
    static void TearDownTestSuite() {
        evaluator_.reset();
        library_.reset();
        warehouse_.reset();
        graph_.reset();
    }

    static int64_t T() { return *audience::ParseTimestamp("2026-01-01T00:00:00Z"); }

    // Parses against the fixture graph and warehouse, then evaluates at T.
    static std::optional<Evaluation> Run(const std::string& json) {
        engine::WarehouseCatalog catalog(*warehouse_);
        audience::ParseContext ctx{*graph_, &catalog, library_.get()};
        auto a = audience::ParseAudience(json, "case.json", ctx);
        if (!a) {
            std::string errors;
            for (const auto& e : a.error().errors) errors += e.ToString() + "\n";
            if (a.error().fatal) errors += a.error().fatal->ToString();
            ADD_FAILURE() << "invalid audience:\n" << errors;
            return std::nullopt;
        }
        auto out = evaluator_->Evaluate(*a, T());
        if (!out) {
            ADD_FAILURE() << out.error().ToString();
            return std::nullopt;
        }
        return *out;
    }

    static void Expect(const std::string& json, std::vector<std::string> members,
                       std::vector<MatchedEntity> entities = {}) {
        auto out = Run(json);
        if (!out) return;
        std::sort(entities.begin(), entities.end());
        EXPECT_EQ(out->members, members);
        EXPECT_EQ(out->entities, entities) << "got " << Show(out->entities) << "\nwant " << Show(entities);
    }

    static inline std::unique_ptr<warehouse::Warehouse> warehouse_;
    static inline std::unique_ptr<graph::DataGraph> graph_;
    static inline std::unique_ptr<Evaluator> evaluator_;
    static inline std::unique_ptr<audience::MemoryLibrary> library_;
};

TEST_F(ReferenceEvaluator, UniverseIsTheDistinctNonNullCanonicalIds) {
    std::vector<std::string> want = {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"};
    EXPECT_EQ(evaluator_->profiles().Universe(), want);
}

TEST_F(ReferenceEvaluator, TraitEqualsTakesTheCurrentValueBySeqThenValue) {
    // p1: seq 2 "pro" beats seq 1 "free". p3: both seq NULL, "pro" > "enterprise". p4: seq tie 3, "pro" > "free".
    // p2: the NULL value at seq 5 is current, so p2 has no plan. p6 "Pro" differs in case. p7 holds another value.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})",
           {"p1", "p3", "p4"});
}

TEST_F(ReferenceEvaluator, TraitNotEqualsFailsOnNullButWithoutHoldsIt) {
    // not_equals "pro": p6 ("Pro") and p7; p2 (current NULL), p5 and p8 (no plan) fail: NULL fails not_equals.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "plan", "filter": {"op": "not_equals", "value": "pro"}}]}]})",
           {"p6", "p7"});
    // without + equals "pro": everyone but p1, p3, p4, including the profiles that have no plan.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "plan", "without": true, "filter": {"op": "equals", "value": "pro"}}]}]})",
           {"p2", "p5", "p6", "p7", "p8"});
    // No filter: the current value exists (p2's current value is NULL).
    Expect(R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan"}]}]})", {"p1", "p3", "p4", "p6", "p7"});
    // one_of / not_one_of, case-sensitive; not_one_of fails on NULL too.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "plan", "filter": {"op": "one_of", "value": ["pro", "Pro"]}}]}]})",
           {"p1", "p3", "p4", "p6"});
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "plan", "filter": {"op": "not_one_of", "value": ["pro", "free"]}}]}]})",
           {"p6", "p7"});
}

TEST_F(ReferenceEvaluator, NumberTraitsWithInvalidTextAreNull) {
    // lifetime_value: p1 "120.50" = 120.5, p7 "120.5"; p2 "5_0" and p4 "1e3" do not convert (NULL); p3 99; p6 -0.5.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "lifetime_value", "filter": {"op": "greater_than", "value": 100}}]}]})",
           {"p1", "p7"});
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "lifetime_value", "filter": {"op": "equals", "value": 120.5}}]}]})",
           {"p1", "p7"});
    // not_exists of a number: the unconvertible p2, p4 and the traitless p5, p8.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "lifetime_value", "filter": {"op": "not_exists", "type": "number"}}]}]})",
           {"p2", "p4", "p5", "p8"});
    // less_than 0: only p6 (-0.5); 1e3 would be 1000 under lenient casting, it is NULL here.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "lifetime_value", "filter": {"op": "less_than_or_equal", "value": 99}}]}]})",
           {"p3", "p6"});
}

TEST_F(ReferenceEvaluator, TypedTraitsBooleanDateTimeTimestamp) {
    // is_vip: p1 true, p3 false, p2 "yes" is not a boolean.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "is_vip", "filter": {"op": "not_equals", "value": true}}]}]})",
           {"p3"});
    // birthday: p2 "1991-02-29" is not a real date; p1 1990-02-28 < 1992-02-29 (p3, real: leap year).
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "birthday",
         "filter": {"op": "less_than_or_equal", "type": "date", "value": "1992-02-29"}}]}]})",
           {"p1", "p3"});
    // wake_up: p2 "24:00:00" is not a time; p3 06:00:00.5 < 07:00 < p1 07:30.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "wake_up", "filter": {"op": "less_than", "type": "time", "value": "07:00:00"}}]}]})",
           {"p3"});
    // last_seen_at as instants: p1 08:00Z (10:00+02:00), p2 07:00Z (no offset = UTC), p3 01:00Z (23:00-02).
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "last_seen_at",
         "filter": {"op": "greater_than", "type": "timestamp", "value": "2026-01-01T09:30:00+02:00"}}]}]})",
           {"p1"});
}

TEST_F(ReferenceEvaluator, EventsFollowMergesAndCountDistinctIds) {
    // No window: p1 counts e1 (duplicated, once), e2 (m1), e12 (p9), e13 (at T) = 4; e7 after T does not count.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 4}}]}]})",
           {"p1"});
    // exactly 2: p2 (e3, e6 via m2 -> p2, the smallest canonical id; e4 has a NULL timestamp, one row a NULL id)
    // and p3 (e9, e10; m2's e6 is not p3's).
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "exactly", "value": 2}}]}]})",
           {"p2", "p3"});
    // e2 (total 80) was sent as m1, merged into p1.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"property": "total", "op": "equals", "value": 80}]}}]}]})",
           {"p1"});
    // e6 (total 100) was sent as m2, which has rows for p3 and p2: the smallest, p2, owns it.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"property": "total", "op": "equals", "value": 100}]}}]}]})",
           {"p2"});
    // USD orders: e3 and e6 (m2) are p2's; e4 and the NULL-id row are p2's too but never count.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 2},
         "where": {"filters": [{"property": "currency", "op": "equals", "value": "USD"}]}}]}]})",
           {"p2"});
    // Only e4 (NULL timestamp), the NULL-id row and e7 (after T) have total >= 500: nobody.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"property": "total", "op": "greater_than_or_equal", "value": 500}]}}]}]})",
           {});
    // exactly 0 includes the profiles without events: p5..p8 (e8 of x9 is nobody's).
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "exactly", "value": 0}}]}]})",
           {"p5", "p6", "p7", "p8"});
}

TEST_F(ReferenceEvaluator, WindowBoundaries) {
    // within 30 days: T - 30d < ts <= T. p1: e1, e2, e13 (exactly T counts) = 3, e12 is older. p2: e6 only.
    // p3: e10 (1 microsecond after T - 30d) counts, e9 (exactly T - 30d) does not.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "exactly", "value": 1},
         "window": {"within": {"value": 30, "unit": "days"}}}]}]})",
           {"p2", "p3"});
    // e13 (total 60) is exactly at T.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "window": {"within": {"value": 1, "unit": "minutes"}},
         "where": {"filters": [{"property": "total", "op": "equals", "value": 60}]}}]}]})",
           {"p1"}, {});
    // more_than_ago 30 days: ts <= T - 30d. p1 e12, p2 e3, p3 e9 (exactly at the bound), p4 e14.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "exactly", "value": 1},
         "window": {"more_than_ago": {"value": 30, "unit": "days"}}}]}]})",
           {"p1", "p2", "p3", "p4"});
    // between: from <= ts < to. e9 is at from, e10 at to: only e9.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "window": {"between": {"from": "2025-12-02T00:00:00Z", "to": "2025-12-02T00:00:00.000001Z"}}}]}]})",
           {"p3"});
    // Page Viewed (TIMESTAMPTZ) within 1 day: v1 (p1, 22:00Z) and v3 (p2); v2 is 2026-01-01T01:30Z, after T.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Page Viewed", "window": {"within": {"value": 1, "unit": "days"}}}]}]})",
           {"p1", "p2"});
    // within 2 hours: v1 is exactly at T - 2h and drops out; v3 (23:59Z) stays.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Page Viewed", "window": {"within": {"value": 2, "unit": "hours"}}}]}]})",
           {"p2"});
}

TEST_F(ReferenceEvaluator, ContainsIsLiteral) {
    // "%_" appears only in e1's "/sale/50%_off" (p1); as LIKE wildcards it would match every URL.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"context": "page_url", "op": "contains", "value": "%_"}]}}]}]})",
           {"p1"});
    // A backslash: only e10's "/a\b" (p3).
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"context": "page_url", "op": "contains", "value": "\\"}]}}]}]})",
           {"p3"});
    // "a_b" literally: e9 (p3); "_" is no wildcard so "/a\b" does not match.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "exactly", "value": 1},
         "where": {"filters": [{"context": "page_url", "op": "ends_with", "value": "a_b"}]}}]}]})",
           {"p3"});
    // Case-sensitive starts_with "/SALE": e6 (m2 -> p2).
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"context": "page_url", "op": "starts_with", "value": "/SALE"}]}}]}]})",
           {"p2"});
    // Trait text with % _ and \: p7's plan is 100%_pro\x.
    Expect(R"({"groups": [{"conditions": [
        {"type": "trait", "trait": "plan", "filter": {"op": "contains", "value": "%_pro\\"}}]}]})",
           {"p7"});
}

TEST_F(ReferenceEvaluator, ExternalIdJoinCountsAnAccountOnce) {
    // p1's two emails both match account 1 (rows 1 and 2), and ada@work.com matches account 2: 2 accounts, not 3.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "count": {"op": "exactly", "value": 2}}]}]})",
           {"p1"}, {E("p1", "user-accounts", "1"), E("p1", "user-accounts", "2")});
    // at_most 1: everyone but p1 (p4, p5, p8 relate to no account).
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "count": {"op": "at_most", "value": 1}}]}]})",
           {"p2", "p3", "p4", "p5", "p6", "p7", "p8"},
           {E("p2", "user-accounts", "3"), E("p3", "user-accounts", "4"), E("p6", "user-accounts", "6"),
            E("p7", "user-accounts", "7")});
}

TEST_F(ReferenceEvaluator, EmailJoinIsCaseSensitive) {
    // Account 4's email is "Ada@x.com": it is p3's, never p1's ("ada@x.com").
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts",
         "where": {"filters": [{"column": "ID", "op": "equals", "value": 4}]}}]}]})",
           {"p3"}, {E("p3", "user-accounts", "4")});
    // STATUS active: p1 (1; 2 is closed), p2 (3; the NULL-key active row relates to nothing), p3 (4), p7 (7); p6's
    // account has a NULL status.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts",
         "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]}}]}]})",
           {"p1", "p2", "p3", "p7"},
           {E("p1", "user-accounts", "1"), E("p2", "user-accounts", "3"), E("p3", "user-accounts", "4"),
            E("p7", "user-accounts", "7")});
}

TEST_F(ReferenceEvaluator, IdentifierTextConvertsToTheNumberKey) {
    // USER_NO is BIGINT: p4 "42" and p6 "0042.0" both convert to 42 (cards 1 and 2); p7 "7" -> card 3.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-cards", "count": {"op": "at_least", "value": 2}}]}]})",
           {"p4", "p6"},
           {E("p4", "user-cards", "1"), E("p4", "user-cards", "2"), E("p6", "user-cards", "1"),
            E("p6", "user-cards", "2")});
    // without: profiles with no card ("u1" and "u2" are not numbers): p1, p2, p3, p5, p8. No matched entities.
    Expect(R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-cards", "without": true}]}]})",
           {"p1", "p2", "p3", "p5", "p8"});
}

TEST_F(ReferenceEvaluator, JunctionDuplicatesDoNotMultiply) {
    // Cart 10 links sku-1 once and sku-2 twice (junction rows 2 and 3): 2 distinct products. Cart 10 is account 1's,
    // which is p1's.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
            {"type": "entity", "relationship": "account-carts",
             "where": {"filters": [{"column": "ID", "op": "equals", "value": 10}]},
             "children": {"conditions": [
                {"type": "entity", "relationship": "cart-products", "count": {"op": "exactly", "value": 2}}]}}]}}]}]})",
           {"p1"},
           {E("p1", "user-accounts", "1"), E("p1", "account-carts", "10"), E("p1", "cart-products", "sku-1"),
            E("p1", "cart-products", "sku-2")});
}

TEST_F(ReferenceEvaluator, NestedChildWithCountExactlyZero) {
    // Accounts with no abandoned cart. p1: account 1 has cart 11, account 2 cart 12 (both abandoned): out. p2:
    // account 3 has cart 13: out. p3: account 4's cart 17 has a NULL status, which fails equals: in. p6 (account 6)
    // and p7 (account 7) have no carts: in. The child condition counts no entity, so it matches none.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
            {"type": "entity", "relationship": "account-carts", "count": {"op": "exactly", "value": 0},
             "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}]}}]}}]}]})",
           {"p3", "p6", "p7"},
           {E("p3", "user-accounts", "4"), E("p6", "user-accounts", "6"), E("p7", "user-accounts", "7")});
}

TEST_F(ReferenceEvaluator, NestedWithout) {
    // Accounts without an open cart: account 1 has open cart 10 (out), account 2 only abandoned 12 (in), account 3
    // has open cart 15 (out), account 4's cart 17 has no status (in), accounts 6 and 7 have no carts (in).
    // A `without` child matches nothing.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
            {"type": "entity", "relationship": "account-carts", "without": true,
             "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "open"}]}}]}}]}]})",
           {"p1", "p3", "p6", "p7"},
           {E("p1", "user-accounts", "2"), E("p3", "user-accounts", "4"), E("p6", "user-accounts", "6"),
            E("p7", "user-accounts", "7")});
}

TEST_F(ReferenceEvaluator, ReferenceToAnAncestorColumn) {
    // Carts whose TOTAL exceeds their own account's CREDIT_LIMIT: account 1 (100): cart 10 (150) yes, 11 (50) no;
    // account 2 (50): cart 12 (300) yes; account 3 (500): 13 (600) yes, 15 (20) no; account 4 (10): 17 (10) no.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
            {"type": "entity", "relationship": "account-carts",
             "where": {"filters": [{"column": "TOTAL", "op": "greater_than",
                                    "ref": {"column": "CREDIT_LIMIT", "relationship": "user-accounts"}}]}}]}}]}]})",
           {"p1", "p2"},
           {E("p1", "user-accounts", "1"), E("p1", "user-accounts", "2"), E("p1", "account-carts", "10"),
            E("p1", "account-carts", "12"), E("p2", "user-accounts", "3"), E("p2", "account-carts", "13")});
    // A same-entity reference, DECIMAL against FLOAT8: CREDIT_LIMIT > SCORE for accounts 1 (100 > 0.1), 2 (50 > 2.5),
    // 4 (10 > 1) and 7 (1 > 0.5); account 3's SCORE and account 6's CREDIT_LIMIT are NULL.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts",
         "where": {"filters": [{"column": "CREDIT_LIMIT", "op": "greater_than", "ref": {"column": "SCORE"}}]}}]}]})",
           {"p1", "p3", "p7"},
           {E("p1", "user-accounts", "1"), E("p1", "user-accounts", "2"), E("p3", "user-accounts", "4"),
            E("p7", "user-accounts", "7")});
}

TEST_F(ReferenceEvaluator, TraitReferences) {
    // Orders in the profile's home currency: p1 (EUR), p2 (USD: e3), p3 (EUR); p4 has no home_currency, so the
    // reference is NULL and fails.
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"property": "currency", "op": "equals", "ref": {"trait": "home_currency"}}]}}]}]})",
           {"p1", "p2", "p3"});
    // page_url contains the url_part trait literally: p1 "50%_off" in e1; p2 "sale" in e3 ("/SALE" of e6 differs).
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"context": "page_url", "op": "contains", "ref": {"trait": "url_part"}}]}}]}]})",
           {"p1", "p2"});
    // Carts above the max_cart trait (converted to NUMBER): p1 (100): carts 10 (150) and 12 (300); p2 (1000): none.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
            {"type": "entity", "relationship": "account-carts",
             "where": {"filters": [{"column": "TOTAL", "op": "greater_than", "ref": {"trait": "max_cart"}}]}}]}}]}]})",
           {"p1"},
           {E("p1", "user-accounts", "1"), E("p1", "user-accounts", "2"), E("p1", "account-carts", "10"),
            E("p1", "account-carts", "12")});
}

TEST_F(ReferenceEvaluator, AudienceReferencesContributeMembersOnly) {
    // has_account = {p1, p2, p3, p6, p7}; pro = {p1, p3, p4}. The entity condition inside has_account matches nothing
    // here: referenced audiences contribute members only.
    Expect(R"({"groups": [{"conditions": [
        {"type": "audience", "audience": "has_account"}, {"type": "audience", "audience": "pro", "without": true}]}]})",
           {"p2", "p6", "p7"});
    // Nested references: pro_with_account = pro and has_account = {p1, p3}; with an order within 30 days (p1: e1...,
    // p3: e10).
    Expect(R"({"groups": [{"conditions": [
        {"type": "audience", "audience": "pro_with_account"},
        {"type": "event", "event": "Order Completed", "window": {"within": {"value": 30, "unit": "days"}}}]}]})",
           {"p1", "p3"});
}

TEST_F(ReferenceEvaluator, GroupsOperatorOr) {
    // Group 1: plan "Pro" (p6). Group 2: a household with an internet subscription: h1 has subscription 2, so p1
    // and p2 (both h1). p3's h2 has only tv; p4's h9 does not exist. p6's group 1 holds, which matches no entity.
    Expect(R"({"groups_operator": "or", "groups": [
        {"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "Pro"}}]},
        {"conditions": [{"type": "entity", "relationship": "user-households", "children": {"conditions": [
            {"type": "entity", "relationship": "household-subscriptions",
             "where": {"filters": [{"column": "PLAN", "op": "equals", "value": "internet"}]}}]}}]}]})",
           {"p1", "p2", "p6"},
           {E("p1", "user-households", "h1"), E("p1", "household-subscriptions", "2"), E("p2", "user-households", "h1"),
            E("p2", "household-subscriptions", "2")});
}

TEST_F(ReferenceEvaluator, OrGroupMatchesOnlyItsTrueConditions) {
    // plan "pro" (p1, p3, p4) or a card (p4, p6, p7): p4's and p6's and p7's cards are matched; p1 and p3 have none.
    // Household h9 of p4 does not exist, so the false household condition matches nothing.
    Expect(R"({"groups": [{"operator": "or", "conditions": [
        {"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}},
        {"type": "entity", "relationship": "user-cards"},
        {"type": "entity", "relationship": "user-households", "count": {"op": "at_least", "value": 2}}]}]})",
           {"p1", "p3", "p4", "p6", "p7"},
           {E("p4", "user-cards", "1"), E("p4", "user-cards", "2"), E("p6", "user-cards", "1"),
            E("p6", "user-cards", "2"), E("p7", "user-cards", "3")});
    // An and-group that fails matches nothing even when its entity condition is true: p6 has cards but no plan "pro".
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-cards"},
        {"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})",
           {"p4"}, {E("p4", "user-cards", "1"), E("p4", "user-cards", "2")});
}

TEST_F(ReferenceEvaluator, DeepestBranchMatchesEveryLevel) {
    // Brand 100 (SE) makes sku-1 and sku-2; carts 10 (sku-1, sku-2), 12 (sku-1), 13 (sku-2) hold them; they belong
    // to accounts 1, 2 (p1) and 3 (p2). sku-4 has a NULL brand, cart 16's sku-9 is no product, cart 14 no account.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
          {"type": "entity", "relationship": "account-carts", "children": {"conditions": [
            {"type": "entity", "relationship": "cart-products", "children": {"conditions": [
              {"type": "entity", "relationship": "product-brand",
               "where": {"filters": [{"column": "COUNTRY", "op": "equals", "value": "SE"}]}}]}}]}}]}}]}]})",
           {"p1", "p2"},
           {E("p1", "user-accounts", "1"), E("p1", "user-accounts", "2"), E("p1", "account-carts", "10"),
            E("p1", "account-carts", "12"), E("p1", "cart-products", "sku-1"), E("p1", "cart-products", "sku-2"),
            E("p1", "product-brand", "100"), E("p2", "user-accounts", "3"), E("p2", "account-carts", "13"),
            E("p2", "cart-products", "sku-2"), E("p2", "product-brand", "100")});
}

TEST_F(ReferenceEvaluator, ChildrenUnderOrMatchOnlyTheTrueOnes) {
    // Accounts with (a cart over 500) or (no cart at all). Account 3 (p2) has cart 13 (600): matched with its cart.
    // Accounts 6 (p6) and 7 (p7) have no carts: the second child holds and counts nothing. Account 1 and 2 (p1) and
    // 4 (p3) have carts of at most 300.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"operator": "or", "conditions": [
            {"type": "entity", "relationship": "account-carts",
             "where": {"filters": [{"column": "TOTAL", "op": "greater_than", "value": 500}]}},
            {"type": "entity", "relationship": "account-carts", "count": {"op": "exactly", "value": 0}}]}}]}]})",
           {"p2", "p6", "p7"},
           {E("p2", "user-accounts", "3"), E("p2", "account-carts", "13"), E("p6", "user-accounts", "6"),
            E("p7", "user-accounts", "7")});
}

TEST_F(ReferenceEvaluator, TypedEntityColumns) {
    // FLOAT8 compares exactly as its decimal text: SCORE 0.1 is account 1 (p1).
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts",
         "where": {"filters": [{"column": "SCORE", "op": "equals", "value": 0.1}]}}]}]})",
           {"p1"}, {E("p1", "user-accounts", "1")});
    // DATE: account 7 opened 2024-02-29 (p7).
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts",
         "where": {"filters": [{"column": "OPENED_ON", "op": "equals", "value": "2024-02-29"}]}}]}]})",
           {"p7"}, {E("p7", "user-accounts", "7")});
    // TIMESTAMPTZ compared as instants: subscription 3 started 2025-12-31T23:00Z = 2026-01-01T00:00+01:00 (h2, p3).
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-households", "children": {"conditions": [
            {"type": "entity", "relationship": "household-subscriptions",
             "where": {"filters": [
                {"column": "STARTED_AT", "op": "equals", "value": "2026-01-01T00:00:00+01:00"}]}}]}}]}]})",
           {"p3"}, {E("p3", "user-households", "h2"), E("p3", "household-subscriptions", "3")});
    // TIME: products launched before 10:00 (sku-1 09:00; sku-5 00:00 is in no cart); sku-3's NULL fails.
    // sku-1 is in carts 10 (account 1) and 12 (account 2), both p1's.
    Expect(R"({"groups": [{"conditions": [
        {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
          {"type": "entity", "relationship": "account-carts", "children": {"conditions": [
            {"type": "entity", "relationship": "cart-products",
             "where": {"filters": [{"column": "LAUNCHED_AT", "op": "less_than", "value": "10:00:00"}]}}]}}]}}]}]})",
           {"p1"},
           {E("p1", "user-accounts", "1"), E("p1", "user-accounts", "2"), E("p1", "account-carts", "10"),
            E("p1", "account-carts", "12"), E("p1", "cart-products", "sku-1")});
}

TEST_F(ReferenceEvaluator, EventFiltersOnNullsAndTypes) {
    // coupon not_exists: only e3 (p2). delivery_date exists: e1 (p1), e3 (p2). Page Viewed referrer "google": v1
    // (p1), v4 (p5); v5's segment a8 is not a profile (p8's anonymous id does not own events).
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"property": "coupon", "op": "not_exists"}]}}]}]})",
           {"p2"});
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed",
         "where": {"filters": [{"property": "delivery_date", "op": "exists"}]}}]}]})",
           {"p1", "p2"});
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Page Viewed",
         "where": {"filters": [{"context": "referrer", "op": "equals", "value": "google"}]}}]}]})",
           {"p1", "p5"});
    // where or: quantity > 2 (e3, p2) or coupon = true (e1 p1, e6 p2).
    Expect(R"({"groups": [{"conditions": [
        {"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 2},
         "where": {"operator": "or", "filters": [{"property": "quantity", "op": "greater_than", "value": 2},
                                                 {"property": "coupon", "op": "equals", "value": true}]}}]}]})",
           {"p2"});
}

// A key on several rows qualifies through the row that relates, and an ancestor reference reads the row through
// which the child was reached. A small warehouse of its own: account 1 has two rows, one per profile.
TEST(ReferenceEvaluatorRows, QualificationAndAncestorsArePerRow) {
    auto wh = warehouse::Open("duckdb::memory:");
    ASSERT_TRUE(wh.has_value());
    auto ok = (*wh)->Execute(R"(
        CREATE SCHEMA segment;
        CREATE TABLE segment.user_identifiers (canonical_segment_id VARCHAR, type VARCHAR, value VARCHAR);
        INSERT INTO segment.user_identifiers VALUES ('pa', 'email', 'a@x'), ('pb', 'email', 'b@x');
        CREATE TABLE segment.user_traits (canonical_segment_id VARCHAR, name VARCHAR, value VARCHAR, seq BIGINT);
        CREATE TABLE segment.profile_merges (canonical_segment_id VARCHAR, segment_id VARCHAR);
        CREATE SCHEMA crm;
        CREATE TABLE crm.accounts ("ID" BIGINT, "EMAIL" VARCHAR, "STATUS" VARCHAR, "CREDIT_LIMIT" DECIMAL(12, 2));
        INSERT INTO crm.accounts VALUES (1, 'a@x', 'active', 100), (1, 'b@x', 'closed', 5);
        CREATE TABLE crm.carts ("ID" BIGINT, "ACCOUNT_ID" BIGINT, "TOTAL" DECIMAL(12, 2));
        INSERT INTO crm.carts VALUES (10, 1, 50);)");
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    auto g = graph::LoadGraph((Fixture() / "graph.hcl").string());
    ASSERT_TRUE(g.has_value());
    auto ev = Evaluator::Open(*g, **wh);
    ASSERT_TRUE(ev.has_value()) << ev.error().ToString();
    auto run = [&](const std::string& json) -> Evaluation {
        engine::WarehouseCatalog catalog(**wh);
        audience::ParseContext ctx{*g, &catalog, nullptr};
        auto a = audience::ParseAudience(json, "rows.json", ctx);
        EXPECT_TRUE(a.has_value());
        if (!a) return {};
        auto out = ev->Evaluate(*a, *audience::ParseTimestamp("2026-01-01T00:00:00Z"));
        EXPECT_TRUE(out.has_value());
        return out ? *out : Evaluation{};
    };
    // pa relates to account 1 through its active row only; pb through its closed row only.
    Evaluation closed = run(R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
        "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "closed"}]}}]}]})");
    EXPECT_EQ(closed.members, std::vector<std::string>{"pb"});
    EXPECT_EQ(closed.entities, std::vector<MatchedEntity>{E("pb", "user-accounts", "1")});
    // Cart 10 (50) against the CREDIT_LIMIT of the row it was reached through: 100 for pa (fails), 5 for pb.
    Evaluation over = run(R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
        "children": {"conditions": [{"type": "entity", "relationship": "account-carts", "where": {"filters": [
            {"column": "TOTAL", "op": "greater_than",
             "ref": {"column": "CREDIT_LIMIT", "relationship": "user-accounts"}}]}}]}}]}]})");
    EXPECT_EQ(over.members, std::vector<std::string>{"pb"});
    EXPECT_EQ(over.entities,
              (std::vector<MatchedEntity>{E("pb", "account-carts", "10"), E("pb", "user-accounts", "1")}));
}

} // namespace
} // namespace kith::reference
