#include "reference/typed_value.hpp"

#include <gtest/gtest.h>

namespace kith::reference {
namespace {

std::string Num(std::string_view text) {
    auto d = ParseWarehouseNumber(text);
    return d ? d->ToString() : "NULL";
}

TEST(ReferenceTypedValue, WarehouseNumbersExpandExponentsExactly) {
    EXPECT_EQ(Num("150"), "150");
    EXPECT_EQ(Num("19.99"), "19.99");
    EXPECT_EQ(Num("-0.5"), "-0.5");
    EXPECT_EQ(Num("1e-07"), "0.0000001");
    EXPECT_EQ(Num("1.5e+20"), "150000000000000000000");
    EXPECT_EQ(Num("-2.25E2"), "-225");
    EXPECT_EQ(Num("123456789012345678901234567890"), "123456789012345678901234567890");
    EXPECT_EQ(Num("-0"), "0");
    EXPECT_EQ(Num("NaN"), "NULL");
    EXPECT_EQ(Num("Infinity"), "NULL");
    EXPECT_EQ(Num("1e"), "NULL");
    EXPECT_EQ(Num(""), "NULL");
}

TEST(ReferenceTypedValue, TextConvertsOnlyExactForms) {
    EXPECT_FALSE(FromText(DataType::NUMBER, "5_0"));
    EXPECT_FALSE(FromText(DataType::NUMBER, "1e3"));
    EXPECT_EQ(FromText(DataType::NUMBER, "0042.0")->number.ToString(), "42");
    EXPECT_FALSE(FromText(DataType::BOOLEAN, "yes"));
    EXPECT_FALSE(FromText(DataType::DATE, "1991-02-29"));
    EXPECT_FALSE(FromText(DataType::TIME, "24:00:00"));
    EXPECT_EQ(FromText(DataType::TIMESTAMP, "2026-01-01T10:00:00+02:00")->scalar,
              FromText(DataType::TIMESTAMP, "2026-01-01 08:00:00")->scalar);
}

TEST(ReferenceTypedValue, NumbersCompareExactlyAcrossForms) {
    auto a = FromWarehouse(DataType::NUMBER, std::string("100"));
    auto b = FromText(DataType::NUMBER, "100.000");
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(Equal(*a, *b));
    auto c = FromWarehouse(DataType::NUMBER, std::string("0.1"));
    auto d = FromText(DataType::NUMBER, "0.10000000000000001");
    EXPECT_EQ(*Compare(*c, *d), -1);
}

audience::Filter StringFilter(audience::Op op, std::string value) {
    audience::Filter f;
    f.op = op;
    f.type = DataType::STRING;
    f.values.push_back({std::move(value)});
    return f;
}

TEST(ReferenceTypedValue, StringMatchingIsLiteralAndCaseSensitive) {
    using audience::Op;
    auto v = FromText(DataType::STRING, "/sale/50%_off");
    EXPECT_TRUE(Passes(StringFilter(Op::CONTAINS, "%_"), v, std::nullopt));
    EXPECT_FALSE(Passes(StringFilter(Op::CONTAINS, "5_%"), v, std::nullopt));
    EXPECT_FALSE(Passes(StringFilter(Op::STARTS_WITH, "/SALE"), v, std::nullopt));
    EXPECT_TRUE(Passes(StringFilter(Op::ENDS_WITH, "_off"), v, std::nullopt));
    auto b = FromText(DataType::STRING, "/a\\b");
    EXPECT_TRUE(Passes(StringFilter(Op::CONTAINS, "\\"), b, std::nullopt));
    EXPECT_FALSE(Passes(StringFilter(Op::CONTAINS, "\\"), FromText(DataType::STRING, "/a_b"), std::nullopt));
}

TEST(ReferenceTypedValue, NullFailsEveryOperatorButNotExists) {
    using audience::Op;
    for (Op op : {Op::EQUALS, Op::NOT_EQUALS, Op::CONTAINS, Op::NOT_CONTAINS, Op::STARTS_WITH, Op::ENDS_WITH,
                  Op::ONE_OF, Op::NOT_ONE_OF, Op::EXISTS}) {
        EXPECT_FALSE(Passes(StringFilter(op, "x"), std::nullopt, std::nullopt)) << audience::OpName(op);
    }
    audience::Filter f;
    f.op = Op::NOT_EXISTS;
    EXPECT_TRUE(Passes(f, std::nullopt, std::nullopt));
}

TEST(ReferenceTypedValue, NullReferenceFailsTheFilter) {
    using audience::Op;
    audience::Filter f;
    f.op = Op::NOT_EQUALS;
    f.type = DataType::STRING;
    f.ref = audience::Ref{};
    EXPECT_FALSE(Passes(f, FromText(DataType::STRING, "a"), std::nullopt));
    EXPECT_TRUE(Passes(f, FromText(DataType::STRING, "a"), FromText(DataType::STRING, "b")));
}

} // namespace
} // namespace kith::reference
