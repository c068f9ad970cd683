// Golden tests as data (test/sql/*.test): an audience, its members SQL per
// dialect, and its expected members and matched entities on the fixture
// warehouse (test/fixture), checked on every engine the suite runs.
//
// A .test file:
//   # what it shows (comment lines)
//   as-of 2026-01-01T00:00:00Z
//   ---- audience
//   {...}
//   ---- members
//   p1
//   ---- entities
//   p1<TAB>user-accounts<TAB>1
//   ---- duckdb
//   WITH ...
//   ---- postgres
//   WITH ...
//   ---- spark
//   WITH ...
//
// Every statement sent to Spark is also parsed by sqlglot in its Spark dialect.
//
// KITH_UPDATE_EXPECTED=1 rewrites the SQL sections only; members and
// entities are written by hand from the fixture and the spec.
#include "golden.hpp"

#include <gtest/gtest.h>

namespace kith::golden {
namespace {

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, SqlMembersAndEntities) {
    auto c = LoadCase(GetParam());
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    for (const auto& dialect : Dialects()) {
        auto sql = CompileMembersSql(*c, dialect);
        ASSERT_TRUE(sql.has_value()) << sql.error().ToString();
        if (UpdateMode()) {
            c->sections[dialect] = *sql;
        }
        EXPECT_EQ(*sql, c->sections[dialect]) << dialect << " SQL differs";
    }
    if (UpdateMode()) {
        ASSERT_TRUE(SaveCase(*c).has_value());
    }
    for (auto& engine : Engines()) {
        auto got = Evaluate(*c, *engine);
        ASSERT_TRUE(got.has_value()) << engine->name << ": " << got.error().ToString();
        EXPECT_EQ(got->members, c->sections["members"]) << "members on " << engine->name;
        EXPECT_EQ(got->entities, c->sections["entities"]) << "entities on " << engine->name;
        if (engine->name != "duckdb" && engine->name != "postgres") {
            auto parsed = test::SqlglotCheck(got->statements);
            EXPECT_TRUE(parsed.has_value()) << parsed.error().ToString();
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Files, Golden, ::testing::ValuesIn(CaseNames()), [](const auto& info) {
    std::string s = info.param;
    for (char& ch : s) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return s;
});

} // namespace
} // namespace kith::golden
