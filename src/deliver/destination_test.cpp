#include "deliver/destination.hpp"

#include "deliver/file_destination.hpp"

#include <gtest/gtest.h>

namespace kith::deliver {
namespace {

using nlohmann::json;

TEST(MakeDestination, FilePathsResolveAgainstTheConfigFolder) {
    DestinationContext ctx{.base_dir = "/etc/kith", .delivery = {}};
    auto rel = MakeDestination({{"type", "file"}, {"path", "out/../events.ndjson"}}, "send", ctx);
    ASSERT_TRUE(rel) << rel.error().ToString();
    EXPECT_EQ((*rel)->type(), "file");
    auto* file = dynamic_cast<FileDestination*>(rel->get());
    ASSERT_NE(file, nullptr);
    EXPECT_EQ(file->path(), "/etc/kith/events.ndjson");
    auto abs = MakeDestination({{"type", "file"}, {"path", "/tmp/e.ndjson"}}, "", ctx);
    ASSERT_TRUE(abs);
    EXPECT_EQ(dynamic_cast<FileDestination&>(**abs).path(), "/tmp/e.ndjson");
}

TEST(MakeDestination, ExplainsWhatItCannotBuild) {
    DestinationContext ctx{.base_dir = "/etc/kith", .delivery = {}};
    auto hook = MakeDestination({{"type", "webhook"}, {"url", "http://127.0.0.1:9/"}}, "send", ctx);
    ASSERT_FALSE(hook);
    EXPECT_EQ(hook.error().code, ErrorCode::INVALID);
    EXPECT_EQ(hook.error().message,
              "delivery to webhook destinations is not implemented yet in this kith (implemented: file)");
    auto unknown = MakeDestination({{"type", "carrier-pigeon"}}, "", ctx);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message,
              "unknown destination type \"carrier-pigeon\" (expected webhook, braze, iterable, segment, file)");
    auto no_path = MakeDestination({{"type", "file"}, {"path", ""}}, "send", ctx);
    ASSERT_FALSE(no_path);
    EXPECT_NE(no_path.error().message.find("\"path\""), std::string::npos) << no_path.error().message;
    auto bad_action = MakeDestination({{"type", "file"}, {"path", "x"}}, "track_event", ctx);
    ASSERT_FALSE(bad_action);
    EXPECT_EQ(bad_action.error().message, "unknown action \"track_event\" for a file destination");
    EXPECT_FALSE(MakeDestination(json::array(), "", ctx));
    EXPECT_TRUE(IsImplemented("file"));
    EXPECT_FALSE(IsImplemented("webhook"));
    EXPECT_FALSE(IsImplemented("carrier-pigeon"));
}

TEST(Outcome, DescribesStatusAndError) {
    EXPECT_EQ(Outcome::Retry("Service Unavailable", 503, 2000).Describe(), "status 503: Service Unavailable");
    EXPECT_EQ(Outcome::Failed("", 400).Describe(), "status 400");
    EXPECT_EQ(Outcome::Retry("cannot open x: No such file or directory").Describe(),
              "cannot open x: No such file or directory");
    EXPECT_EQ(Outcome::Retry("x", 429, 1500).retry_after_ms, 1500);
    EXPECT_EQ(OutcomeKindName(Outcome::FILTERED), "filtered");
}

} // namespace
} // namespace kith::deliver
