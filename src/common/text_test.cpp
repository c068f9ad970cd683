#include "common/text.hpp"

#include <gtest/gtest.h>

namespace kith::text {

TEST(Utf8, AcceptsWellFormed) {
    EXPECT_TRUE(IsValidUtf8(""));
    EXPECT_TRUE(IsValidUtf8("plain ascii"));
    EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
}

TEST(Utf8, RejectsMalformed) {
    EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));         // overlong '/'
    EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));     // surrogate
    EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80")); // above U+10FFFF
    EXPECT_FALSE(IsValidUtf8("abc\xE2\x82"));      // truncated
    EXPECT_FALSE(IsValidUtf8("\x80"));             // lone continuation
}

TEST(Quote, EscapesControlAndInvalidBytes) {
    EXPECT_EQ(Quote("a\"b"), "\"a\\\"b\"");
    EXPECT_EQ(Quote(std::string("x\0y", 3)), "\"x\\x00y\"");
    EXPECT_EQ(Quote("\xFF"), "\"\\xff\"");
    EXPECT_EQ(Quote("abcdef", 3), "\"abc...\"");
}

TEST(Case, OnlyAsciiLettersChange) {
    EXPECT_EQ(Lower("NUMBER(10,2) Caf\xC3\x89"), "number(10,2) caf\xC3\x89");
    EXPECT_EQ(Upper("timestamp_tz \xC3\xA9"), "TIMESTAMP_TZ \xC3\xA9");
    EXPECT_EQ(Lower(""), "");
}

TEST(Shortened, TrimsTheEndAndCuts) {
    EXPECT_EQ(Shortened("bad request \r\n"), "bad request");
    EXPECT_EQ(Shortened("abcdef", 3), "abc...");
    EXPECT_EQ(Shortened("abc\n", 3), "abc");
}

TEST(IsoMillis, UtcWithMilliseconds) {
    EXPECT_EQ(IsoMillis(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(IsoMillis(1'767'261'600'123), "2026-01-01T10:00:00.123Z");
    EXPECT_EQ(IsoMillis(-1), "1969-12-31T23:59:59.999Z");
}

TEST(ReadFile, MissingFileIsAnIoError) {
    auto r = ReadFile("/nonexistent/kith/graph.hcl");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::IO);
    EXPECT_EQ(r.error().location, "/nonexistent/kith/graph.hcl");
    EXPECT_NE(r.error().message.find("No such file"), std::string::npos);
}

TEST(ParseDurationMs, UnitsAndRejections) {
    EXPECT_EQ(ParseDurationMs("250ms"), 250);
    EXPECT_EQ(ParseDurationMs("15m"), 15 * 60'000);
    EXPECT_EQ(ParseDurationMs("1d"), 86'400'000);
    EXPECT_EQ(ParseDurationMs("2h"), 7'200'000);
    EXPECT_FALSE(ParseDurationMs("0s"));
    EXPECT_FALSE(ParseDurationMs("-1h"));
    EXPECT_FALSE(ParseDurationMs("1w"));
    EXPECT_FALSE(ParseDurationMs("h"));
    EXPECT_FALSE(ParseDurationMs("9999999999999999d"));
}

} // namespace kith::text
