#include "audience/typed_text.hpp"

#include <gtest/gtest.h>

namespace kith::audience {
namespace {

using schema::DataType;

std::string Canon(DataType t, std::string_view s) { return CanonicalText(t, s).value_or("NULL"); }

TEST(TypedText, Numbers) {
    EXPECT_EQ(Canon(DataType::NUMBER, "42"), "42");
    EXPECT_EQ(Canon(DataType::NUMBER, "-007.50"), "-7.5");
    EXPECT_EQ(Canon(DataType::NUMBER, "-0.0"), "0");
    for (const char* bad : {"5_0", "1e3", "+1", " 1", "1.", ".5", "0x10", "", "-", "1,5", "١"}) {
        EXPECT_EQ(Canon(DataType::NUMBER, bad), "NULL") << bad;
    }
    EXPECT_EQ(Canon(DataType::NUMBER, std::string(21, '9')), "NULL");
    EXPECT_EQ(Canon(DataType::NUMBER, "1." + std::string(19, '1')), "NULL");
}

TEST(TypedText, DecimalCompareIsExact) {
    auto a = *ParseNumber("12.50"), b = *ParseNumber("12.5"), c = *ParseNumber("-3"), d = *ParseNumber("100");
    EXPECT_EQ(a.Compare(b), 0);
    EXPECT_EQ(c.Compare(a), -1);
    EXPECT_EQ(d.Compare(a), 1);
    EXPECT_EQ(ParseNumber("-0.1")->Compare(*ParseNumber("-0.01")), -1);
}

TEST(TypedText, BooleansAreExactWords) {
    EXPECT_EQ(Canon(DataType::BOOLEAN, "true"), "true");
    for (const char* bad : {"yes", "TRUE", "1", "t", "True"}) EXPECT_EQ(Canon(DataType::BOOLEAN, bad), "NULL") << bad;
}

TEST(TypedText, DatesMustBeReal) {
    EXPECT_EQ(Canon(DataType::DATE, "2024-02-29"), "2024-02-29");
    for (const char* bad : {"2023-02-29", "2024-13-01", "2024-1-01", "0000-01-01", "2024-04-31", "2024-02-29T00:00:00"}) {
        EXPECT_EQ(Canon(DataType::DATE, bad), "NULL") << bad;
    }
}

TEST(TypedText, TimesHaveStrictRanges) {
    EXPECT_EQ(Canon(DataType::TIME, "23:59:59.5"), "23:59:59.500000");
    EXPECT_EQ(Canon(DataType::TIME, "00:00:00"), "00:00:00");
    for (const char* bad : {"24:00:00", "12:60:00", "12:00:60", "1:00:00", "12:00", "12:00:00.1234567"}) {
        EXPECT_EQ(Canon(DataType::TIME, bad), "NULL") << bad;
    }
}

TEST(TypedText, TimestampsAreInstantsInUtc) {
    EXPECT_EQ(Canon(DataType::TIMESTAMP, "2024-01-01T10:00:00"), "2024-01-01T10:00:00Z");
    EXPECT_EQ(Canon(DataType::TIMESTAMP, "2024-01-01 10:00:00Z"), "2024-01-01T10:00:00Z");
    EXPECT_EQ(Canon(DataType::TIMESTAMP, "2024-01-01T10:00:00+02"), "2024-01-01T08:00:00Z");
    EXPECT_EQ(Canon(DataType::TIMESTAMP, "2024-01-01T01:00:00.25-05:30"), "2024-01-01T06:30:00.250000Z");
    EXPECT_EQ(Canon(DataType::TIMESTAMP, "2024-03-01T00:30:00+01:00"), "2024-02-29T23:30:00Z");
    for (const char* bad : {"2024-01-01", "2024-01-01T24:00:00", "2024-01-01T10:00:00+2", "2024-01-01T10:00:00 Z",
                            "2024-01-01T10:00:00+0200", "2024-01-01t10:00:00"}) {
        EXPECT_EQ(Canon(DataType::TIMESTAMP, bad), "NULL") << bad;
    }
}

} // namespace
} // namespace kith::audience
