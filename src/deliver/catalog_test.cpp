#include "deliver/catalog.hpp"

#include <gtest/gtest.h>
#include <set>

namespace kith::deliver {
namespace {

TEST(Catalog, ListsTheFiveTypesWithActionsAndRequiredSettings) {
    std::vector<std::string> names;
    for (const auto& t : DestinationTypes()) names.push_back(t.type);
    EXPECT_EQ(names, (std::vector<std::string>{"webhook", "braze", "iterable", "segment", "file"}));
    EXPECT_EQ(DestinationTypeList(), "webhook, braze, iterable, segment, file");
    for (const auto& t : DestinationTypes()) {
        EXPECT_FALSE(t.actions.empty()) << t.type;
        EXPECT_FALSE(t.description.empty()) << t.type;
        std::set<std::string> seen;
        for (const auto& s : t.settings) {
            EXPECT_TRUE(seen.insert(s.name).second) << t.type << " repeats " << s.name;
            EXPECT_FALSE(s.description.empty()) << t.type << "." << s.name;
            if (s.kind == SettingKind::INTEGER) {
                EXPECT_GT(s.max, 0) << t.type << "." << s.name;
            }
        }
        for (const auto& s : CommonSettings()) EXPECT_FALSE(seen.contains(s.name)) << t.type << " " << s.name;
    }
    const DestinationType* file = FindDestinationType("file");
    ASSERT_NE(file, nullptr);
    EXPECT_EQ(file->actions.front().name, "send");
    ASSERT_EQ(file->settings.size(), 1u);
    EXPECT_EQ(file->settings[0].name, "path");
    EXPECT_TRUE(file->settings[0].required);
    const DestinationType* braze = FindDestinationType("braze");
    ASSERT_NE(braze, nullptr);
    EXPECT_EQ(braze->actions.front().name, "track_event"); // the default
    EXPECT_EQ(FindDestinationType("carrier-pigeon"), nullptr);
    EXPECT_EQ(SettingKindName(SettingKind::STRING_MAP), "object of strings");
}

} // namespace
} // namespace kith::deliver
