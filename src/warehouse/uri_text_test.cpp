#include "warehouse/uri_text.hpp"

#include <gtest/gtest.h>

namespace kith::warehouse {
namespace {

TEST(UriText, PercentDecode) {
    EXPECT_EQ(PercentDecode("a%20b%2Fc%3d"), "a b/c=");
    EXPECT_EQ(PercentDecode("100%"), "100%");
    EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
    EXPECT_EQ(PercentDecode("a+b"), "a+b");
    EXPECT_EQ(PercentDecode("a+b%2B", Plus::SPACE), "a b+");
}

TEST(UriText, PercentEncodeKeepsOnlyUnreserved) {
    EXPECT_EQ(PercentEncode("aZ0-_.~"), "aZ0-_.~");
    EXPECT_EQ(PercentEncode("a b/c:d=é"), "a%20b%2Fc%3Ad%3D%C3%A9");
    EXPECT_EQ(PercentDecode(PercentEncode("x+y&z")), "x+y&z");
}

TEST(UriText, TakeQuery) {
    std::string rest = "host/db?Auth=NOSASL&x&=dropped&a=1&a=2&p=%2Fsql+1";
    auto query = TakeQuery(rest);
    EXPECT_EQ(rest, "host/db");
    EXPECT_EQ(query, (std::map<std::string, std::string>{{"Auth", "NOSASL"}, {"x", ""}, {"a", "2"}, {"p", "/sql+1"}}));

    rest = "acct/DB/S?Warehouse=W+H&role=R";
    query = TakeQuery(rest, {.plus = Plus::SPACE, .lower_keys = true});
    EXPECT_EQ(rest, "acct/DB/S");
    EXPECT_EQ(query, (std::map<std::string, std::string>{{"warehouse", "W H"}, {"role", "R"}}));

    rest = "project/dataset";
    EXPECT_TRUE(TakeQuery(rest).empty());
    EXPECT_EQ(rest, "project/dataset");
    rest = "p/d?";
    EXPECT_TRUE(TakeQuery(rest).empty());
    EXPECT_EQ(rest, "p/d");
}

TEST(UriText, PathSegments) {
    EXPECT_EQ(PathSegments("a//b%20c/"), (std::vector<std::string>{"a", "b c"}));
    EXPECT_EQ(PathSegments(""), std::vector<std::string>{});
    EXPECT_EQ(PathSegments("/"), std::vector<std::string>{});
    EXPECT_EQ(PathSegments("a+b"), std::vector<std::string>{"a+b"});
    EXPECT_EQ(PathSegments("a+b/c", Plus::SPACE), (std::vector<std::string>{"a b", "c"}));
}

TEST(UriText, EndpointParam) {
    EXPECT_EQ(*EndpointParam({}, "x"), "");
    EXPECT_EQ(*EndpointParam({{"endpoint", "http://127.0.0.1:9000//"}}, "x"), "http://127.0.0.1:9000");
    EXPECT_EQ(*EndpointParam({{"endpoint", "https://example.com/base"}}, "x"), "https://example.com/base");
    auto bad = EndpointParam({{"endpoint", "ftp://example.com"}}, "snowflake");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::USAGE);
    EXPECT_EQ(bad.error().message, "endpoint must be an http:// or https:// base URL");
    EXPECT_EQ(bad.error().location, "snowflake");
}

} // namespace
} // namespace kith::warehouse
