#include "schema/canonical.hpp"

#include <cstdio>
#include <gtest/gtest.h>

namespace kith::schema::canonical {

TEST(Canonical, DecimalDropsTrailingZeros) {
    EXPECT_EQ(Decimal(10000, 2), "100");
    EXPECT_EQ(Decimal(-50, 2), "-0.5");
    EXPECT_EQ(Decimal(5, 3), "0.005");
    EXPECT_EQ(Decimal(0, 4), "0");
    EXPECT_EQ(Decimal(123456789, 0), "123456789");
    Int128 big = static_cast<Int128>(1) << 100;
    EXPECT_EQ(Decimal(big, 0), "1267650600228229401496703205376");
}

TEST(Canonical, DoubleIsShortestRoundTrip) {
    EXPECT_EQ(Double(100.0), "100");
    EXPECT_EQ(Double(0.1), "0.1");
    EXPECT_EQ(Double(-2.5), "-2.5");
    EXPECT_EQ(Double(1.0 / 3.0), "0.3333333333333333");
}

TEST(Canonical, DatesAndTimes) {
    EXPECT_EQ(DateFromDays(0), "1970-01-01");
    EXPECT_EQ(DateFromDays(-1), "1969-12-31");
    EXPECT_EQ(DateFromDays(19782), "2024-02-29");
    EXPECT_EQ(Time(7, 5, 3, 0), "07:05:03");
    EXPECT_EQ(Time(23, 59, 59, 120), "23:59:59.000120");
    EXPECT_EQ(TimestampMicros(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(TimestampMicros(-1), "1969-12-31T23:59:59.999999Z");
    EXPECT_EQ(TimestampMicros(1709164800000000LL + 1500000), "2024-02-29T00:00:01.500000Z");
}

TEST(Canonical, DaysFromCivilInvertsDateFromDays) {
    EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
    EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
    EXPECT_EQ(DaysFromCivil(2024, 2, 29), 19782);
    for (int64_t d : {-800000LL, -719468LL, -1LL, 0LL, 59LL, 60LL, 11016LL, 2932896LL}) {
        std::string text = DateFromDays(d);
        int64_t y = 0;
        unsigned m = 0, day = 0;
        ASSERT_EQ(std::sscanf(text.c_str() + (text[0] == '+' ? 1 : 0), "%ld-%u-%u", &y, &m, &day), 3) << text;
        EXPECT_EQ(DaysFromCivil(y, static_cast<int32_t>(m), static_cast<int32_t>(day)), d) << text;
    }
}

} // namespace kith::schema::canonical
