#include "warehouse/postgres_text.hpp"

#include <gtest/gtest.h>

namespace kith::warehouse::pg {
namespace {

TEST(PostgresText, NumbersAreCanonical) {
    EXPECT_EQ(CanonicalText(kNumeric, "100.00"), "100");
    EXPECT_EQ(CanonicalText(kNumeric, "-12.340"), "-12.34");
    EXPECT_EQ(CanonicalText(kNumeric, "-0.000"), "0");
    EXPECT_EQ(CanonicalText(kNumeric, "0.050"), "0.05");
    EXPECT_EQ(CanonicalText(kNumeric, "1200"), "1200");
    EXPECT_EQ(CanonicalText(kNumeric, "NaN"), "NaN");
    EXPECT_EQ(CanonicalText(kInt8, "-9223372036854775808"), "-9223372036854775808");
    EXPECT_EQ(CanonicalText(kFloat8, "0.1"), "0.1");
    EXPECT_EQ(CanonicalText(kFloat8, "-0"), "0");
    EXPECT_EQ(CanonicalText(kFloat8, "1e+20"), "1e+20");
    EXPECT_EQ(CanonicalText(kFloat8, "100"), "100");
    EXPECT_EQ(CanonicalText(kFloat8, "NaN"), "NaN");
    EXPECT_EQ(CanonicalText(kFloat8, "Infinity"), "Infinity");
    EXPECT_EQ(CanonicalText(kFloat8, "-Infinity"), "-Infinity");
    // A real is the float it holds, widened: the text DuckDB's driver gives a FLOAT.
    EXPECT_EQ(CanonicalText(kFloat4, "0.1"), "0.10000000149011612");
    EXPECT_EQ(CanonicalText(kFloat4, "1.5"), "1.5");
}

TEST(PostgresText, BooleansAndStrings) {
    EXPECT_EQ(CanonicalText(kBool, "t"), "true");
    EXPECT_EQ(CanonicalText(kBool, "f"), "false");
    EXPECT_EQ(CanonicalText(kText, "a\tb\\"), "a\tb\\");
    EXPECT_EQ(CanonicalText(kBpchar, "ab "), "ab ");
}

TEST(PostgresText, DatesAndTimes) {
    EXPECT_EQ(CanonicalText(kDate, "2024-02-29"), "2024-02-29");
    EXPECT_EQ(CanonicalText(kDate, "0044-03-15 BC"), "-0043-03-15");
    EXPECT_EQ(CanonicalText(kDate, "10000-01-01"), "+10000-01-01");
    EXPECT_EQ(CanonicalText(kDate, "infinity"), "infinity");
    EXPECT_EQ(CanonicalText(kTime, "07:05:03.25"), "07:05:03.250000");
    EXPECT_EQ(CanonicalText(kTime, "07:05:03"), "07:05:03");
    EXPECT_EQ(CanonicalText(kTime, "23:59:59.000001"), "23:59:59.000001");
}

TEST(PostgresText, TimestampsAreUtcInstants) {
    EXPECT_EQ(CanonicalText(kTimestamp, "2024-01-02 03:04:05"), "2024-01-02T03:04:05Z");
    EXPECT_EQ(CanonicalText(kTimestamp, "2024-01-02 03:04:05.12"), "2024-01-02T03:04:05.120000Z");
    EXPECT_EQ(CanonicalText(kTimestampTz, "2024-01-02 03:04:05+00"), "2024-01-02T03:04:05Z");
    EXPECT_EQ(CanonicalText(kTimestampTz, "2024-01-02 03:04:05.5+05:30"), "2024-01-01T21:34:05.500000Z");
    EXPECT_EQ(CanonicalText(kTimestampTz, "2024-01-01 23:00:00-02"), "2024-01-02T01:00:00Z");
    EXPECT_EQ(CanonicalText(kTimestampTz, "1900-01-01 00:00:00+00:09:21"), "1899-12-31T23:50:39Z");
    EXPECT_EQ(CanonicalText(kTimestamp, "0001-01-01 00:00:00 BC"), "0000-01-01T00:00:00Z");
    EXPECT_EQ(CanonicalText(kTimestamp, "infinity"), "infinity");
    int64_t micros = 0;
    ASSERT_TRUE(ParseTimestamp("1970-01-01 00:00:01.000001", micros));
    EXPECT_EQ(micros, 1000001);
    EXPECT_FALSE(ParseTimestamp("1970-01-01", micros));
    EXPECT_FALSE(ParseTimestamp("1970-01-01 00:00:00.1234567", micros));
}

TEST(PostgresText, TypesByOid) {
    EXPECT_EQ(TypeOfOid(kInt4), DataType::NUMBER);
    EXPECT_EQ(TypeOfOid(kNumeric), DataType::NUMBER);
    EXPECT_EQ(TypeOfOid(kVarchar), DataType::STRING);
    EXPECT_EQ(TypeOfOid(kBool), DataType::BOOLEAN);
    EXPECT_EQ(TypeOfOid(kDate), DataType::DATE);
    EXPECT_EQ(TypeOfOid(kTime), DataType::TIME);
    EXPECT_EQ(TypeOfOid(kTimestampTz), DataType::TIMESTAMP);
    EXPECT_EQ(TypeOfOid(114), DataType::OTHER); // json
    EXPECT_EQ(CanonicalText(114, "{\"a\": 1}"), "{\"a\": 1}");
}

} // namespace
} // namespace kith::warehouse::pg
