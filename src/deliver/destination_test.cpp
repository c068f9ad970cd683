#include "deliver/destination.hpp"

#include "deliver/file_destination.hpp"

#include <gtest/gtest.h>

namespace kith::deliver {
namespace {

using nlohmann::json;

TEST(MakeDestination, FilePathsStayBeneathTheFileRoot) {
    DestinationContext ctx{.delivery = {.file_root = "/srv/kith"}};
    auto rel = MakeDestination({{"type", "file"}, {"path", "out/./events.ndjson"}}, "send", nullptr, ctx);
    ASSERT_TRUE(rel) << rel.error().ToString();
    EXPECT_EQ((*rel)->type(), "file");
    auto* file = dynamic_cast<FileDestination*>(rel->get());
    ASSERT_NE(file, nullptr);
    EXPECT_EQ(file->path(), "/srv/kith/out/events.ndjson");
    auto abs = MakeDestination({{"type", "file"}, {"path", "/srv/kith/e.ndjson"}}, "", nullptr, ctx);
    ASSERT_TRUE(abs) << abs.error().ToString();
    EXPECT_EQ(dynamic_cast<FileDestination&>(**abs).path(), "/srv/kith/e.ndjson");

    for (const char* outside : {"/tmp/e.ndjson", "/etc/passwd", "/proc/self/mem", "../../etc/passwd",
                                "out/../../e.ndjson", "/srv/kith/../e.ndjson"}) {
        auto refused = MakeDestination({{"type", "file"}, {"path", outside}}, "send", nullptr, ctx);
        ASSERT_FALSE(refused) << outside;
        EXPECT_EQ(refused.error().code, ErrorCode::INVALID);
        EXPECT_TRUE(refused.error().message.starts_with("unusable \"path\": ")) << refused.error().message;
    }
    auto no_root = MakeDestination({{"type", "file"}, {"path", "e.ndjson"}}, "send", nullptr, DestinationContext{});
    ASSERT_FALSE(no_root);
    EXPECT_EQ(no_root.error().message, "file destinations need [delivery] file_root");
}

TEST(MakeDestination, ExplainsWhatItCannotBuild) {
    DestinationContext ctx{.delivery = {.file_root = "/srv/kith"}};
    auto hook = MakeDestination({{"type", "webhook"}, {"url", "http://127.0.0.1:9/"}}, "send", nullptr, ctx);
    ASSERT_TRUE(hook) << hook.error().ToString();
    EXPECT_EQ((*hook)->type(), "webhook");
    EXPECT_EQ((*hook)->MaxBatch(), 4u); // batch_size 1, 4 requests in flight
    auto no_url = MakeDestination({{"type", "webhook"}, {"url", "ftp://x"}}, "send", nullptr, ctx);
    ASSERT_FALSE(no_url);
    EXPECT_EQ(no_url.error().message, "a webhook destination needs \"url\", an http:// or https:// URL");
    auto no_key = MakeDestination({{"type", "braze"}, {"endpoint", "https://rest.iad-01.braze.com"}}, "", nullptr, ctx);
    ASSERT_FALSE(no_key);
    EXPECT_EQ(no_key.error().message, "a braze destination needs \"api_key\"");
    auto braze = MakeDestination(
        {{"type", "braze"}, {"endpoint", "https://rest.iad-01.braze.com"}, {"api_key", "k"}, {"concurrency", 2}}, "",
        nullptr, ctx);
    ASSERT_TRUE(braze);
    EXPECT_EQ((*braze)->MaxBatch(), 150u); // 75 a request, 2 in flight
    auto unknown = MakeDestination({{"type", "carrier-pigeon"}}, "", nullptr, ctx);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().message,
              "unknown destination type \"carrier-pigeon\" (expected webhook, braze, iterable, segment, file)");
    auto no_path = MakeDestination({{"type", "file"}, {"path", ""}}, "send", nullptr, ctx);
    ASSERT_FALSE(no_path);
    EXPECT_NE(no_path.error().message.find("\"path\""), std::string::npos) << no_path.error().message;
    auto bad_action = MakeDestination({{"type", "file"}, {"path", "x"}}, "trackEvent", nullptr, ctx);
    ASSERT_FALSE(bad_action);
    EXPECT_EQ(bad_action.error().message, "unknown action \"trackEvent\" for a file destination");
    EXPECT_FALSE(MakeDestination(json::array(), "", nullptr, ctx));
    EXPECT_TRUE(IsImplemented("file"));
    EXPECT_TRUE(IsImplemented("webhook"));
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
