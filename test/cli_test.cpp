// The kith binary as scripts see it: exit codes and stderr per cli.md.
#include "support/pg_server.hpp"
#include "warehouse/warehouse.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

struct Outcome {
    int code;
    std::string out; // stdout and stderr, in that order
};

Outcome Kith(const std::string& args) {
    std::string bin = std::string(KITH_BINARY_DIR) + "/kith";
    std::string cmd = bin + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    int status = pclose(p);
    return Outcome{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string Src(const std::string& rel) { return std::string(KITH_SOURCE_DIR) + "/" + rel; }

TEST(Cli, ValidGraphExitsZeroSilently) {
    Outcome r = Kith("graph validate " + Src("test/graph/valid/segment_example.hcl"));
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.out, "");
}

TEST(Cli, InvalidGraphExitsOneWithEveryErrorOnStderr) {
    Outcome r = Kith("graph validate " + Src("test/graph/invalid/undefined_entity.hcl"));
    EXPECT_EQ(r.code, 1);
    std::string file = Src("test/graph/invalid/undefined_entity.hcl");
    EXPECT_EQ(r.out, file + ":13:24: relationship \"user-accounts\" names undefined entity \"acount-entity\" (did you "
                              "mean 'account-entity'?)\n" +
                         file + ":20:26: relationship \"user-carts\" names undefined entity \"cart-entity\"\n");
}

TEST(Cli, MissingFileIsOneLineAndExitOne) {
    Outcome r = Kith("graph validate /nonexistent/graph.hcl");
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, "/nonexistent/graph.hcl: cannot read file: No such file or directory\n");
}

TEST(Cli, UnreadableFileIsOneLineAndExitOne) {
    Outcome r = Kith("graph validate " + Src("test"));
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.out, Src("test") + ": cannot read file: it is a directory\n");
}

TEST(Cli, UsageErrorsExitTwo) {
    EXPECT_EQ(Kith("graph validate").code, 2);
    EXPECT_EQ(Kith("no-such-command").code, 2);
    EXPECT_EQ(Kith("gen --out x.duckdb --graph-out g.hcl --profiles 0").code, 2);
    EXPECT_EQ(Kith("graph validate " + Src("test/graph/valid/minimal.hcl") + " --warehouse mysql://x").code, 2);
    // An empty --warehouse (an unset variable in a script) is a usage error, never a crash.
    for (const char* command : {"members", "entities", "preview", "explain --profile p1"}) {
        Outcome r = Kith(std::string(command) + " --warehouse '' --graph " + Src("test/fixture/graph.hcl") +
                         " --audience " + Src("test/audience/library/broken.json"));
        EXPECT_EQ(r.code, 2) << command << ": " << r.out;
        EXPECT_NE(r.out.find("--warehouse names no warehouse"), std::string::npos) << command << ": " << r.out;
    }
}

TEST(Cli, WarehouseFailureExitsThreeWithTheEnginesMessage) {
    Outcome r = Kith("graph validate " + Src("test/graph/valid/minimal.hcl") + " --warehouse duckdb:/nonexistent/dir/w.duckdb");
    EXPECT_EQ(r.code, 3);
    EXPECT_NE(r.out.find("/nonexistent/dir/w.duckdb"), std::string::npos) << r.out;
}

TEST(Cli, WarehouseProblemsAreReportedAtGraphLocations) {
    fs::path dir = fs::temp_directory_path() / ("kith_cli_test_" + std::to_string(getpid()));
    fs::create_directories(dir);
    // An empty warehouse: every Profiles Sync table is missing.
    Outcome r = Kith("graph validate " + Src("test/graph/valid/minimal.hcl") + " --warehouse duckdb:" + (dir / "w.duckdb").string());
    EXPECT_EQ(r.code, 1);
    std::string file = Src("test/graph/valid/minimal.hcl");
    EXPECT_EQ(r.out, file + ":5:22: Profiles Sync table \"segment.user_identifiers\" does not exist in the warehouse\n" +
                         file + ":5:22: Profiles Sync table \"segment.user_traits\" does not exist in the warehouse\n" +
                         file + ":5:22: Profiles Sync table \"segment.profile_merges\" does not exist in the warehouse\n");
    fs::remove_all(dir);
}

TEST(Cli, CopyDuckDbIntoPostgresPrintsProgress) {
    auto server = kith::test::PgServer::Shared();
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    auto pg_uri = (*server)->FreshDatabase("cli_copy");
    ASSERT_TRUE(pg_uri.has_value()) << pg_uri.error().ToString();
    fs::path dir = fs::temp_directory_path() / ("kith_cli_copy_" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::string duck = "duckdb:" + (dir / "w.duckdb").string();
    {
        auto wh = kith::warehouse::Open(duck);
        ASSERT_TRUE(wh.has_value()) << wh.error().ToString();
        ASSERT_TRUE((*wh)->Execute("CREATE SCHEMA crm; CREATE TABLE crm.accounts(id BIGINT, name VARCHAR); "
                                   "INSERT INTO crm.accounts VALUES (1, 'a'), (2, NULL); "
                                   "CREATE SCHEMA other; CREATE TABLE other.t(x INTEGER)")
                        .has_value());
    }
    Outcome r = Kith("copy --from " + duck + " --to " + *pg_uri + " --schemas crm");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("copy: crm.accounts"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("copy: 1 tables, 2 rows in"), std::string::npos) << r.out;
    auto pg = kith::warehouse::Open(*pg_uri);
    ASSERT_TRUE(pg.has_value()) << pg.error().ToString();
    auto rows = kith::warehouse::QueryAll(**pg, "SELECT id, name FROM crm.accounts ORDER BY id");
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    EXPECT_EQ(*rows, (std::vector<std::vector<kith::warehouse::Cell>>{{"1", "a"}, {"2", std::nullopt}}));
    EXPECT_FALSE((*(*pg)->DescribeTable({"", "other", "t"})).has_value());

    // Warehouse errors exit 3 with the engine's message; a schema the source lacks exits 1.
    Outcome down = Kith("copy --from " + duck + " --to postgresql://postgres@127.0.0.1:1/x?connect_timeout=2");
    EXPECT_EQ(down.code, 3) << down.out;
    EXPECT_NE(down.out.find("kith: postgres: "), std::string::npos) << down.out;
    Outcome missing = Kith("copy --from " + duck + " --to " + *pg_uri + " --schemas nope");
    EXPECT_EQ(missing.code, 1) << missing.out;
    EXPECT_EQ(Kith("copy --from " + duck).code, 2);
    EXPECT_EQ(Kith("copy --from " + duck + " --to " + duck).code, 2);
    fs::remove_all(dir);
}

} // namespace
