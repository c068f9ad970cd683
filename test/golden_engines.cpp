// The engines the golden tests run on, each loaded with the fixture: embedded
// DuckDB, a throwaway PostgreSQL server and the suite's Spark stand-in (test/support); built with
// KITH_STANDIN_ENGINE (redshift, snowflake, bigquery), that engine's stand-in alone.
#include "golden.hpp"

#include "common/text.hpp"
#include "support/dataset.hpp"
#include "support/pg_server.hpp"
#include "support/spark_standin.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace kith::golden {

#ifdef KITH_STANDIN_ENGINE
namespace {

[[noreturn]] void Abort(const char* what, const Error& e) {
    std::fprintf(stderr, "%s: %s\n", what, e.ToString().c_str());
    std::abort();
}

} // namespace

std::vector<Engine*> Engines() {
    static std::vector<std::unique_ptr<Engine>> engines = [] {
        std::vector<std::unique_ptr<Engine>> out;
        auto sql = text::ReadFile((std::filesystem::path(KITH_SOURCE_DIR) / "test" / "fixture" / "warehouse.sql").string());
        if (!sql) std::abort();
        auto duck = warehouse::Open("duckdb::memory:");
        if (!duck || !(*duck)->Execute(*sql)) std::abort();
        auto standin = test::SparkStandin::Start(KITH_STANDIN_ENGINE);
        if (!standin) Abort("cannot start the stand-in", standin.error());
        auto remote = warehouse::Open(standin->uri);
        if (!remote) Abort("cannot connect to the stand-in", remote.error());
        auto copied = test::LoadFixtureDataset(**remote, **duck, *sql);
        if (!copied) Abort("cannot load the fixture into the stand-in", copied.error());
        out.push_back(std::make_unique<Engine>(Engine{KITH_STANDIN_ENGINE, std::move(*remote)}));
        return out;
    }();
    std::vector<Engine*> out;
    for (auto& e : engines) out.push_back(e.get());
    return out;
}
#else
std::vector<Engine*> Engines() {
    static std::vector<std::unique_ptr<Engine>> engines = [] {
        std::vector<std::unique_ptr<Engine>> out;
        auto sql = text::ReadFile((std::filesystem::path(KITH_SOURCE_DIR) / "test" / "fixture" / "warehouse.sql").string());
        if (!sql) std::abort();
        auto duck = warehouse::Open("duckdb::memory:");
        if (!duck || !(*duck)->Execute(*sql)) std::abort();
        out.push_back(std::make_unique<Engine>(Engine{"duckdb", std::move(*duck)}));
        auto server = test::PgServer::Shared();
        if (!server) {
            std::fprintf(stderr, "cannot start PostgreSQL: %s\n", server.error().ToString().c_str());
            std::abort();
        }
        auto uri = (*server)->FreshDatabase("golden");
        if (!uri) std::abort();
        auto pg = warehouse::Open(*uri);
        if (!pg) std::abort();
        auto loaded = (*pg)->Execute(*sql);
        if (!loaded) {
            std::fprintf(stderr, "cannot load the fixture into PostgreSQL: %s\n", loaded.error().ToString().c_str());
            std::abort();
        }
        out.push_back(std::make_unique<Engine>(Engine{"postgres", std::move(*pg)}));
        // Spark: the suite's stand-in, holding the fixture once for every test process (test/support/dataset.hpp).
        auto standin = test::SparkStandin::Start("spark");
        if (!standin) {
            std::fprintf(stderr, "cannot start Spark: %s\n", standin.error().ToString().c_str());
            std::abort();
        }
        auto spark = warehouse::Open(standin->uri);
        if (!spark) {
            std::fprintf(stderr, "cannot connect to Spark: %s\n", spark.error().ToString().c_str());
            std::abort();
        }
        auto copied = test::LoadFixtureDataset(**spark, *out.front()->warehouse, *sql);
        if (!copied) {
            std::fprintf(stderr, "cannot load the fixture into Spark: %s\n", copied.error().ToString().c_str());
            std::abort();
        }
        out.push_back(std::make_unique<Engine>(Engine{"spark", std::move(*spark)}));
        return out;
    }();
    std::vector<Engine*> out;
    for (auto& e : engines) out.push_back(e.get());
    return out;
}
#endif

} // namespace kith::golden
