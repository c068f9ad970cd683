#include "deliver/catalog.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
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
    EXPECT_EQ(braze->actions.front().name, "trackEvent"); // the default
    EXPECT_EQ(FindDestinationType("carrier-pigeon"), nullptr);
    // Actions with fields list the required ones first, and every default mapping is JSON.
    for (const auto& t : DestinationTypes()) {
        for (const auto& a : t.actions) {
            EXPECT_EQ(FindAction(t, a.name), &a);
            bool optional_seen = false;
            for (const auto& f : a.fields) {
                if (!f.required) optional_seen = true;
                EXPECT_FALSE(f.required && optional_seen) << t.type << "." << a.name << "." << f.name;
                EXPECT_FALSE(f.description.empty()) << f.name;
                if (!f.default_mapping.empty()) {
                    EXPECT_TRUE(nlohmann::json::accept(f.default_mapping)) << t.type << "." << a.name << "." << f.name;
                }
            }
        }
    }
    const Action* track = FindAction(*braze, "trackEvent");
    ASSERT_NE(track, nullptr);
    ASSERT_FALSE(track->fields.empty());
    EXPECT_EQ(track->fields[0].name, "name");
    EXPECT_TRUE(track->fields[0].required);
    EXPECT_TRUE(FindAction(*file, "send")->fields.empty()); // free-form
    EXPECT_EQ(FindAction(*file, "trackEvent"), nullptr);
    EXPECT_EQ(FieldTypeName(FieldType::DATETIME), "datetime");
    EXPECT_EQ(SettingKindName(SettingKind::STRING_MAP), "object of strings");
}

} // namespace
} // namespace kith::deliver
