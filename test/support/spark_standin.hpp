// The local Apache Spark and Databricks stand-ins for tests (scripts/standin.sh; ../shared/spec/warehouses.md,
// "Local stand-ins"): a real Spark Thrift JDBC/ODBC server in local mode, and for databricks the same in HTTP
// transport behind a proxy that checks the bearer token as Databricks does and can fail on purpose.
//
//   auto s = kith::test::SparkStandin::Start("databricks");  // starts it, or reuses the running one
//   ASSERT_TRUE(s) << s.error().ToString();
//   // s->uri is the warehouse URI; DATABRICKS_TOKEN is now set in this process's environment.
//   Standin mine = s->OwnWarehouse();  // a warehouse ID of this test's own: faults and counters are its alone
//   ASSERT_TRUE(kith::test::SparkStandin::FailNext(mine, {.status = 503, .count = 2}));
//   ... run something against mine.uri: its driver must retry past the two 503s ...
//   auto st = kith::test::SparkStandin::Stats(mine);  // st->faulted == 2
//
// A stand-in stays up across test processes (the first caller starts it, the others reuse it; the script
// serialises concurrent starts with flock); scripts/test.sh stops them at the end (`scripts/standin.sh stop all`).
// A cold start takes about half a minute (plus the .venv install on a new machine).
#pragma once

#include "common/error.hpp"

#include <string>
#include <utility>
#include <vector>

namespace kith::test {

//! A running stand-in, as `scripts/standin.sh start ENGINE` described it.
struct Standin {
    std::string engine; //!< spark, databricks, redshift, snowflake or bigquery
    //! KITH_WAREHOUSE: spark://127.0.0.1:PORT/default, or
    //! databricks://127.0.0.1:PORT/spark_catalog/default?http_path=/sql/1.0/warehouses/standin&endpoint=http://127.0.0.1:PORT;
    //! or the URI of another exported variable named by $KITH_STANDIN_URI (KITH_WAREHOUSE_IAM: Redshift with IAM).
    std::string uri;
    //! Every exported variable in the order printed (for databricks DATABRICKS_TOKEN, then KITH_WAREHOUSE).
    std::vector<std::pair<std::string, std::string>> env;
    //! The port of the URI's endpoint=http://127.0.0.1:PORT, where the admin routes (/_standin/...) are: the proxy's
    //! for databricks, the stand-in's own for snowflake and bigquery; 0 without one (spark).
    int proxy_port = 0;
    //! databricks: the ID in the URI's http_path (/sql/1.0/warehouses/ID); the proxy's faults and counters that
    //! the functions below set and read are this warehouse's.
    std::string warehouse_id;

    //! The value of an exported variable, or "" when it was not exported.
    std::string Env(const std::string& name) const;
    //! databricks: the same stand-in under a warehouse ID unique to this process and call (uri, warehouse_id and
    //! the KITH_WAREHOUSE entry of env changed; the environment is not touched), so that tests running in parallel
    //! do not see each other's faults and requests. A copy as it is for spark.
    Standin OwnWarehouse() const;
};

//! How the databricks proxy fails the next `count` requests for the warehouse that pass its token check (one of status, drop,
//! reset, delay_ms).
struct Fault {
    int status = 0;          //!< answer this HTTP status (Databricks-like JSON error body)
    int retry_after = -1;    //!< with status: a Retry-After header of this many seconds (>= 0)
    bool drop = false;       //!< close the connection without answering
    bool reset = false;      //!< reset the connection (TCP RST) without answering
    int delay_ms = 0;        //!< wait this long, then forward as usual
    int count = 1;           //!< how many requests in a row
};

//! The proxy's counters (GET /_standin/stats).
struct ProxyStats {
    long forwarded = 0;    //!< requests that reached Spark (delayed ones included)
    long faulted = 0;      //!< requests failed on purpose
    long unauthorized = 0; //!< answered 401 (no credential)
    long forbidden = 0;    //!< answered 403 (a wrong token)
    long pending = 0;      //!< fault rules that apply to the warehouse, not used up yet
};

class SparkStandin {
public:
    //! Runs `scripts/standin.sh start ENGINE` (spark, databricks, redshift, snowflake or bigquery: every engine of
    //! the script), which starts the stand-in or finds it running,
    //! parses its `export` lines and sets each variable in this process's environment (setenv), so a driver finds
    //! DATABRICKS_TOKEN. The script's log lines go to this process's stderr.
    static Result<Standin> Start(const std::string& engine);
    //! Runs `scripts/standin.sh stop ENGINE` (also `all`).
    static Status Stop(const std::string& engine);

    // The databricks proxy's fault injection, for s.warehouse_id (an error for spark, which has no proxy).
    static Status FailNext(const Standin& s, const Fault& fault);
    //! The next `count` requests get HTTP `status` (with Retry-After when retry_after >= 0).
    static Status FailNext(const Standin& s, int status, int count = 1, int retry_after = -1);
    //! Forgets the warehouse's faults not used up yet.
    static Status ClearFaults(const Standin& s);
    static Result<ProxyStats> Stats(const Standin& s);
    //! Sets the warehouse's counters back to 0.
    static Status ResetStats(const Standin& s);
};

//! The engine a suite built for remote engines runs on (its tests are listed once and run once per engine):
//! $KITH_STANDIN_ENGINE, spark when it is unset.
std::string StandinEngine();
//! The exported variable whose URI the suite runs on: $KITH_STANDIN_URI, KITH_WAREHOUSE when it is unset.
std::string StandinUriVariable();

//! The values of `export NAME=value` lines (value unquoted as a POSIX shell would: '...' literal, "..." and
//! backslash escapes); other lines are ignored. Exposed for tests of the parser.
std::vector<std::pair<std::string, std::string>> ParseExports(const std::string& text);

} // namespace kith::test
