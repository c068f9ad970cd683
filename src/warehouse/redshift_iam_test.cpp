// Redshift's IAM logins: the URI's IAM options, the AWS keys, GetClusterCredentials' form body and XML answers
// without a server; then against the Redshift stand-in's IAM endpoint (scripts/standin.sh start redshift), each
// test under a cluster id of its own (the endpoint scopes faults and counters by ClusterIdentifier): a login as
// "IAM:kith", AWS's errors for a wrong key or token with no secret in them, retries, and renewal after expiry.
#include "warehouse/postgres_warehouse.hpp"
#include "warehouse/redshift_iam.hpp"

#include "support/spark_standin.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <map>
#include <thread>
#include <unistd.h>

namespace kith::warehouse::redshift {
namespace {

using nlohmann::json;
using std::chrono::system_clock;

const std::map<std::string, std::string> kIam{{"auth", "iam"}};

std::map<std::string, std::string> With(std::map<std::string, std::string> params) {
    params.emplace("auth", "iam");
    return params;
}

//! A getenv over a map.
std::function<const char*(const char*)> Env(const std::map<std::string, std::string>& vars) {
    auto copy = std::make_shared<std::map<std::string, std::string>>(vars);
    return [copy](const char* name) -> const char* {
        auto it = copy->find(name);
        return it == copy->end() ? nullptr : it->second.c_str();
    };
}

TEST(RedshiftIamOptions, ClusterAndRegionComeFromTheClusterHostName) {
    auto o = IamOptionsFrom("examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com", "kith", "dev", kIam);
    ASSERT_TRUE(o) << o.error().ToString();
    EXPECT_EQ(o->cluster_id, "examplecluster");
    EXPECT_EQ(o->region, "us-west-2");
    EXPECT_EQ(o->endpoint, "https://redshift.us-west-2.amazonaws.com");
    EXPECT_EQ(o->db_user, "kith");
    EXPECT_EQ(o->db_name, "dev");
    EXPECT_EQ(o->duration_seconds, 900);
    EXPECT_EQ(o->retry.total, std::chrono::seconds(60));
    auto china = IamOptionsFrom("c1.abc.cn-north-1.redshift.amazonaws.com.cn", "kith", "dev", kIam);
    ASSERT_TRUE(china) << china.error().ToString();
    EXPECT_EQ(china->endpoint, "https://redshift.cn-north-1.amazonaws.com.cn");
}

TEST(RedshiftIamOptions, ParametersOverrideTheHostName) {
    auto o = IamOptionsFrom("examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com", "kith", "dev",
                            With({{"cluster_id", "Other-Cluster"}, {"region", "eu-west-1"},
                                  {"iam_endpoint", "http://127.0.0.1:9999/"}, {"iam_duration", "3600"},
                                  {"retry_for", "5"}}));
    ASSERT_TRUE(o) << o.error().ToString();
    EXPECT_EQ(o->cluster_id, "other-cluster");
    EXPECT_EQ(o->region, "eu-west-1");
    EXPECT_EQ(o->endpoint, "http://127.0.0.1:9999");
    EXPECT_EQ(o->duration_seconds, 3600);
    EXPECT_EQ(o->retry.total, std::chrono::seconds(5));
    auto local = IamOptionsFrom("127.0.0.1", "kith", "dev", With({{"cluster_id", "c1"}, {"region", "us-east-1"}}));
    ASSERT_TRUE(local) << local.error().ToString();
    EXPECT_EQ(local->cluster_id, "c1");
}

TEST(RedshiftIamOptions, SaysWhatIsMissingOrWrong) {
    auto expect_usage = [](const Result<IamOptions>& o, const std::string& says) {
        ASSERT_FALSE(o) << says;
        EXPECT_EQ(o.error().code, ErrorCode::USAGE);
        EXPECT_NE(o.error().message.find(says), std::string::npos) << o.error().message;
    };
    expect_usage(IamOptionsFrom("db.example.com", "kith", "dev", kIam), "add cluster_id=ID&region=REGION");
    expect_usage(IamOptionsFrom("db.example.com", "kith", "dev", With({{"cluster_id", "c1"}})), "add region=REGION");
    expect_usage(IamOptionsFrom("db.example.com", "kith", "dev", With({{"region", "us-east-1"}})), "add cluster_id=ID");
    expect_usage(IamOptionsFrom("c1.x.us-east-1.redshift.amazonaws.com", "", "dev", kIam), "needs the database user");
    expect_usage(IamOptionsFrom("h", "kith", "dev", {{"cluster_id", "c1"}, {"region", "r"}}), "add auth=iam");
    expect_usage(IamOptionsFrom("h", "kith", "dev", {{"auth", "kerberos"}}), "auth=kerberos is not");
    expect_usage(IamOptionsFrom("h", "kith", "dev", With({{"cluster_id", "bad_id"}, {"region", "us-east-1"}})),
                 "not a Redshift cluster identifier");
    expect_usage(IamOptionsFrom("h", "kith", "dev", With({{"cluster_id", "c1"}, {"region", "US EAST"}})),
                 "not an AWS region");
    expect_usage(IamOptionsFrom("c1.x.us-east-1.redshift.amazonaws.com", "kith", "dev", With({{"iam_duration", "0"}})),
                 "iam_duration must be a number of seconds from 1 to 3600");
    expect_usage(IamOptionsFrom("c1.x.us-east-1.redshift.amazonaws.com", "kith", "dev", With({{"iam_duration", "x"}})),
                 "iam_duration");
    expect_usage(IamOptionsFrom("c1.x.us-east-1.redshift.amazonaws.com", "kith", "dev",
                                With({{"iam_endpoint", "ftp://h"}})),
                 "iam_endpoint must be an http:// or https:// URL");
    expect_usage(IamOptionsFrom("c1.x.us-east-1.redshift.amazonaws.com", "1kith", "dev", kIam), "not a Redshift user");
}

TEST(RedshiftIamAuth, NeedsTheAccessKeyAndNamesWhatIsMissing) {
    auto options = IamOptionsFrom("c1.x.us-east-1.redshift.amazonaws.com", "kith", "dev", kIam);
    ASSERT_TRUE(options);
    auto none = IamAuth::FromEnvironment(*options, Env({}));
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::USAGE);
    EXPECT_NE(none.error().message.find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"), std::string::npos)
        << none.error().message;
    auto no_secret = IamAuth::FromEnvironment(*options, Env({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}}));
    ASSERT_FALSE(no_secret);
    EXPECT_NE(no_secret.error().message.find("AWS_SECRET_ACCESS_KEY is not set"), std::string::npos);
    EXPECT_EQ(no_secret.error().message.find("AKIDEXAMPLE"), std::string::npos);
    const std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"; // a file's last newline is dropped
    auto ok = IamAuth::FromEnvironment(*options, Env({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                                      {"AWS_SECRET_ACCESS_KEY", secret}}));
    ASSERT_TRUE(ok) << ok.error().ToString();
    EXPECT_EQ((*ok)->fetched_count(), 0);
}

TEST(RedshiftIamRequest, FormBodyIsTheDocumentedQueryCall) {
    auto o = IamOptionsFrom("c1.x.us-east-1.redshift.amazonaws.com", "kith.user@x", "dev",
                            With({{"iam_duration", "1200"}}));
    ASSERT_TRUE(o) << o.error().ToString();
    EXPECT_EQ(GetClusterCredentialsBody(*o), "Action=GetClusterCredentials&Version=2012-12-01&ClusterIdentifier=c1"
                                             "&DbUser=kith.user%40x&DbName=dev&DurationSeconds=1200&AutoCreate=false");
}

TEST(RedshiftIamAnswers, CredentialsAreReadFromTheXmlAnswer) {
    // The shape of the Redshift API reference's example answer.
    auto c = ParseClusterCredentials(R"(<GetClusterCredentialsResponse
    xmlns="http://redshift.amazonaws.com/doc/2012-12-01/">
  <GetClusterCredentialsResult>
    <DbUser>IAM:adminuser</DbUser>
    <Expiration>2016-09-21T17:01:47.686Z</Expiration>
    <DbPassword>AMAFUyyuros/QjxPTtgzcsuQsqzIasdzJEN04aCtWDzXx1O9d6UmpkBtvEeqHly/rsh+qQ==</DbPassword>
  </GetClusterCredentialsResult>
  <ResponseMetadata>
    <RequestId>9ab3af0c-7f80-11e6-8a5e-ef67c8a2fd4f</RequestId>
  </ResponseMetadata>
</GetClusterCredentialsResponse>)");
    ASSERT_TRUE(c) << c.error().ToString();
    EXPECT_EQ(c->db_user, "IAM:adminuser");
    EXPECT_EQ(c->db_password, "AMAFUyyuros/QjxPTtgzcsuQsqzIasdzJEN04aCtWDzXx1O9d6UmpkBtvEeqHly/rsh+qQ==");
    EXPECT_EQ(c->expiration, system_clock::time_point(std::chrono::milliseconds(1474477307686)));
    // Escaped text is unescaped; a missing part, another answer or no XML at all is an error without the body.
    auto escaped = ParseClusterCredentials(
        "<GetClusterCredentialsResponse><GetClusterCredentialsResult><DbUser>IAM:a</DbUser><DbPassword>p&lt;&amp;"
        "</DbPassword><Expiration>2016-09-21T17:01:47Z</Expiration></GetClusterCredentialsResult>"
        "</GetClusterCredentialsResponse>");
    ASSERT_TRUE(escaped) << escaped.error().ToString();
    EXPECT_EQ(escaped->db_password, "p<&");
    auto no_password = ParseClusterCredentials(
        "<GetClusterCredentialsResponse><GetClusterCredentialsResult><DbUser>IAM:a</DbUser>"
        "<Expiration>2016-09-21T17:01:47Z</Expiration></GetClusterCredentialsResult></GetClusterCredentialsResponse>");
    ASSERT_FALSE(no_password);
    EXPECT_NE(no_password.error().message.find("lacks DbUser, DbPassword or Expiration"), std::string::npos);
    EXPECT_FALSE(ParseClusterCredentials("<ErrorResponse/>"));
    EXPECT_FALSE(ParseClusterCredentials("not xml <"));
    EXPECT_FALSE(ParseClusterCredentials(""));
}

TEST(RedshiftIamAnswers, ExternalEntitiesAreNeverLoaded) {
    auto c = ParseClusterCredentials(R"(<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<GetClusterCredentialsResponse><GetClusterCredentialsResult><DbUser>IAM:a</DbUser>
<DbPassword>x&leak;</DbPassword><Expiration>2016-09-21T17:01:47Z</Expiration>
</GetClusterCredentialsResult></GetClusterCredentialsResponse>)");
    ASSERT_TRUE(c) << c.error().ToString();
    EXPECT_EQ(c->db_password, "x");
}

TEST(RedshiftIamAnswers, AwsErrorsAreReadWithCodeAndMessage) {
    auto e = ParseAwsError(R"(<ErrorResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/">
  <Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>
    <Message>The security token included in the request is invalid.</Message></Error>
  <RequestId>4f3c1f34-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>)");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code, "InvalidClientTokenId");
    EXPECT_EQ(e->message, "The security token included in the request is invalid.");
    auto ec2_style = ParseAwsError("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request "
                                   "limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>");
    ASSERT_TRUE(ec2_style);
    EXPECT_EQ(ec2_style->code, "RequestLimitExceeded");
    EXPECT_FALSE(ParseAwsError("<html><body>Bad Gateway</body></html>"));
    EXPECT_FALSE(ParseAwsError("Bad Gateway"));
}

TEST(RedshiftIamAnswers, ThrottlingAndServerErrorsAreTransientAuthErrorsAreNot) {
    EXPECT_TRUE(IsTransientAwsError(400, "Throttling"));
    EXPECT_TRUE(IsTransientAwsError(400, "ThrottlingException"));
    EXPECT_TRUE(IsTransientAwsError(503, "ServiceUnavailable"));
    EXPECT_TRUE(IsTransientAwsError(500, "InternalFailure"));
    EXPECT_TRUE(IsTransientAwsError(502, ""));
    EXPECT_TRUE(IsTransientAwsError(429, ""));
    EXPECT_FALSE(IsTransientAwsError(403, "InvalidClientTokenId"));
    EXPECT_FALSE(IsTransientAwsError(403, "SignatureDoesNotMatch"));
    EXPECT_FALSE(IsTransientAwsError(403, "ExpiredToken"));
    EXPECT_FALSE(IsTransientAwsError(404, "ClusterNotFound"));
    EXPECT_FALSE(IsTransientAwsError(400, "InvalidParameterValue"));
}

TEST(RedshiftIamAnswers, IsoTimes) {
    EXPECT_EQ(ParseIsoTime("1970-01-01T00:00:01Z"), system_clock::time_point(std::chrono::seconds(1)));
    EXPECT_EQ(ParseIsoTime("1970-01-01T00:00:01.5Z"), system_clock::time_point(std::chrono::milliseconds(1500)));
    EXPECT_FALSE(ParseIsoTime("1970-01-01 00:00:01Z"));
    EXPECT_FALSE(ParseIsoTime("1970-01-01T00:00:01"));
    EXPECT_FALSE(ParseIsoTime("1970-13-01T00:00:01Z"));
    EXPECT_FALSE(ParseIsoTime("1970-01-01T00:00:01.Z"));
    EXPECT_FALSE(ParseIsoTime(""));
}

// ---- Against the stand-in ----

//! The stand-in as scripts/standin.sh started it: the IAM URI and the IAM endpoint's port (for /_standin/ routes).
struct IamStandin {
    std::string error;
    std::string uri;
    int port = 0;
    test::Standin standin;
};

const IamStandin& Standin() {
    static const IamStandin s = [] {
        IamStandin s;
        auto started = test::SparkStandin::Start("redshift");
        if (!started) {
            s.error = started.error().ToString();
            return s;
        }
        s.standin = *started;
        s.uri = started->Env("KITH_WAREHOUSE_IAM");
        const std::string key = "iam_endpoint=http://127.0.0.1:";
        if (auto at = s.uri.find(key); at != std::string::npos) s.port = std::atoi(s.uri.c_str() + at + key.size());
        if (s.port == 0) s.error = "no KITH_WAREHOUSE_IAM with an iam_endpoint exported: " + s.uri;
        return s;
    }();
    return s;
}

json Admin(const std::string& method, const std::string& route, const std::string& scope, const json& body = {}) {
    httplib::Client cli("127.0.0.1", Standin().port);
    cli.set_read_timeout(30);
    std::string path = route + "?scope=" + scope;
    httplib::Result r = method == "GET"    ? cli.Get(path)
                        : method == "POST" ? cli.Post(path, body.dump(), "application/json")
                                           : cli.Delete(path);
    if (!r || r->status != 200) {
        ADD_FAILURE() << method << " " << path << ": " << (r ? std::to_string(r->status) + " " + r->body : "no answer");
        return json::object();
    }
    return json::parse(r->body, nullptr, false);
}

//! Sets an environment variable for the scope of one test.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) setenv(name_, old_->c_str(), 1);
        else unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

class RedshiftIamStandin : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(Standin().error.empty()) << Standin().error;
        static std::atomic<int> serial{0};
        cluster_ = "kith-standin-t" + std::to_string(getpid()) + "-" + std::to_string(++serial);
        uri_ = Standin().uri + "&cluster_id=" + cluster_ + "&retry_for=20";
        Admin("DELETE", "/_standin/faults", cluster_);
        Admin("DELETE", "/_standin/stats", cluster_);
    }
    void TearDown() override {
        if (Standin().error.empty()) Admin("DELETE", "/_standin/faults", cluster_);
    }

    json Stats() { return Admin("GET", "/_standin/stats", cluster_); }

    std::vector<std::vector<Cell>> Rows(Warehouse& wh, const std::string& sql) {
        auto rows = QueryAll(wh, sql);
        EXPECT_TRUE(rows) << sql << ": " << rows.error().ToString();
        return rows ? *rows : std::vector<std::vector<Cell>>{};
    }

    //! The error opening uri gives; the test fails when it opens, or when a secret of the stand-in is in the error.
    Error OpenFails(const std::string& uri) {
        auto wh = PostgresWarehouse::OpenRedshift(uri);
        EXPECT_FALSE(wh);
        if (wh) return {};
        std::string text = wh.error().ToString();
        for (const char* name : {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PGPASSWORD"}) {
            std::string secret = Standin().standin.Env(name);
            EXPECT_FALSE(secret.empty()) << name;
            EXPECT_EQ(text.find(secret), std::string::npos) << name << " in " << text;
        }
        return wh.error();
    }

    std::string cluster_;
    std::string uri_;
};

TEST_F(RedshiftIamStandin, LogsInAsTheTemporaryUserAndRunsAQuery) {
    auto wh = PostgresWarehouse::OpenRedshift(uri_);
    ASSERT_TRUE(wh) << wh.error().ToString();
    EXPECT_EQ(Rows(**wh, "SELECT session_user, current_user, 40 + 2"),
              (std::vector<std::vector<Cell>>{{"IAM:kith", "kith", "42"}}));
    json stats = Stats();
    EXPECT_EQ(stats["credentials_issued"], 1) << stats.dump();
    EXPECT_EQ(stats["signature_failures"], 0) << stats.dump();
    EXPECT_EQ(stats["auth_failures"], 0) << stats.dump();
    // Another connection while the credentials are fresh logs in with them: nothing is asked of AWS.
    auto second = (*wh)->Connect();
    ASSERT_TRUE(second) << second.error().ToString();
    EXPECT_EQ(Rows(**second, "SELECT session_user"), (std::vector<std::vector<Cell>>{{"IAM:kith"}}));
    EXPECT_EQ(Stats()["credentials_issued"], 1);
}

TEST_F(RedshiftIamStandin, AWrongSecretKeyFailsWithAwsCodeAndMessageOnce) {
    ScopedEnv wrong("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    Error e = OpenFails(uri_);
    EXPECT_NE(e.message.find("GetClusterCredentials for cluster " + cluster_ + ": SignatureDoesNotMatch: The request "
                             "signature we calculated does not match the signature you provided."),
              std::string::npos)
        << e.message;
    EXPECT_NE(e.message.find("(HTTP 403)"), std::string::npos) << e.message;
    // The stand-in, as some AWS services do, appended the canonical request it expected (with the session token).
    EXPECT_EQ(e.message.find("Canonical String"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("wJalrXUtnFEMI"), std::string::npos) << e.message;
    EXPECT_FALSE(e.transient);
    json stats = Stats();
    EXPECT_EQ(stats["signature_failures"], 1) << stats.dump();
    EXPECT_EQ(stats["requests"], 1) << "an authentication error is never retried: " << stats.dump();
}

TEST_F(RedshiftIamStandin, AWrongSessionTokenFailsWithAwsCodeAndMessageOnce) {
    ScopedEnv wrong("AWS_SESSION_TOKEN", "not-the-session-token");
    Error e = OpenFails(uri_);
    EXPECT_NE(e.message.find("InvalidClientTokenId: The security token included in the request is invalid. (HTTP "
                             "403)"),
              std::string::npos)
        << e.message;
    EXPECT_EQ(e.message.find("not-the-session-token"), std::string::npos) << e.message;
    json stats = Stats();
    EXPECT_EQ(stats["auth_failures"], 1) << stats.dump();
    EXPECT_EQ(stats["requests"], 1) << stats.dump();
    EXPECT_EQ(stats["credentials_issued"], 0) << stats.dump();
}

TEST_F(RedshiftIamStandin, AnUnknownClusterIsAwsClusterNotFound) {
    Error e = OpenFails(Standin().uri + "&cluster_id=someone-elses&retry_for=20");
    EXPECT_NE(e.message.find("ClusterNotFound: Cluster someone-elses not found. (HTTP 404)"), std::string::npos)
        << e.message;
}

TEST_F(RedshiftIamStandin, UnavailableAndThrottledAnswersAreRetriedAndCredentialsIssuedOnce) {
    Admin("POST", "/_standin/faults", cluster_, {{"status", 503}});
    auto wh = PostgresWarehouse::OpenRedshift(uri_);
    ASSERT_TRUE(wh) << wh.error().ToString();
    EXPECT_EQ(Rows(**wh, "SELECT session_user"), (std::vector<std::vector<Cell>>{{"IAM:kith"}}));
    json stats = Stats();
    EXPECT_EQ(stats["faulted"], 1) << stats.dump();
    EXPECT_EQ(stats["requests"], 2) << stats.dump();
    EXPECT_EQ(stats["credentials_issued"], 1) << stats.dump();
    // Throttling (AWS's 400 with code Throttling), then a dropped connection, then an answer.
    Admin("DELETE", "/_standin/stats", cluster_);
    Admin("POST", "/_standin/faults", cluster_, {{"status", 400}, {"code", "Throttling"}});
    Admin("POST", "/_standin/faults", cluster_, {{"drop", 1}});
    auto again = PostgresWarehouse::OpenRedshift(uri_);
    ASSERT_TRUE(again) << again.error().ToString();
    stats = Stats();
    EXPECT_EQ(stats["faulted"], 2) << stats.dump();
    EXPECT_EQ(stats["credentials_issued"], 1) << stats.dump();
}

TEST_F(RedshiftIamStandin, ExpiredCredentialsAreRenewedByANewConnection) {
    // AWS's shortest lifetime is 900 s, which the stand-in enforces until told otherwise for this cluster.
    std::string short_lived = uri_ + "&iam_duration=3";
    Error refused = OpenFails(short_lived);
    EXPECT_NE(refused.message.find("InvalidParameterValue: DurationSeconds must be between 900 and 3600"),
              std::string::npos)
        << refused.message;
    Admin("POST", "/_standin/faults", cluster_, {{"min_duration_seconds", 1}});
    Admin("DELETE", "/_standin/stats", cluster_);
    auto wh = PostgresWarehouse::OpenRedshift(short_lived);
    ASSERT_TRUE(wh) << wh.error().ToString();
    EXPECT_EQ(Stats()["credentials_issued"], 1);
    // Wait until the server itself holds the login's password for expired.
    bool expired = false;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
         !expired && std::chrono::steady_clock::now() < deadline;) {
        auto rows = Rows(**wh, "SELECT rolvaliduntil <= now() FROM pg_roles WHERE rolname = session_user");
        expired = rows.size() == 1 && rows[0][0] == "true";
        if (!expired) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(expired) << "the temporary password never expired";
    auto renewed = (*wh)->Connect();
    ASSERT_TRUE(renewed) << renewed.error().ToString();
    EXPECT_EQ(Rows(**renewed, "SELECT session_user, rolvaliduntil > now() FROM pg_roles WHERE rolname = session_user"),
              (std::vector<std::vector<Cell>>{{"IAM:kith", "true"}}));
    EXPECT_EQ(Stats()["credentials_issued"], 2);
}

} // namespace
} // namespace kith::warehouse::redshift
