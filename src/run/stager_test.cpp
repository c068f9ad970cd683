#include "run/stager.hpp"
#include "store/store_test_data.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <set>
#include <unistd.h>

namespace kith::run {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StagerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_stager_test_" + std::to_string(getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        auto s = store::Store::Open((dir_ / "state.sqlite").string());
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
        auto vip = store::store_test_data::AddVipWithFileActivation(*store_, "vip_file");
        ASSERT_TRUE(vip) << vip.error().ToString();
        audience_ = vip->audience;
        activation_ = vip->activation;
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    int64_t Run(bool started) {
        int64_t run = *store_->CreateRun(audience_, "manual");
        if (started) {
            EXPECT_TRUE(store_->Transaction([&](store::Tx& tx) { return tx.StartRun(run, "test:1", std::nullopt); }));
        }
        return run;
    }

    // Event i of a run: ids repeat every `distinct`; every fifth is filtered at source.
    store::NewEvent Event(int i, int distinct) {
        std::string id = "m" + std::to_string(i % distinct);
        return store::NewEvent{activation_, id, "Audience Entered", nullptr, i % 5 == 4 ? "no userId" : "",
                               R"({"messageId":")" + id + R"(","type":"track"})", ""};
    }

    fs::path dir_;
    std::unique_ptr<store::Store> store_;
    int64_t audience_ = 0, activation_ = 0;
};

TEST_F(StagerTest, EveryEventIsStagedOnceWhateverTheBatchAndThePiecesItCameIn) {
    constexpr int kEvents = 250, kDistinct = 240, kPiece = 17;
    for (size_t batch : {size_t{1}, size_t{3}, size_t{64}, size_t{10000}}) {
        SCOPED_TRACE("batch " + std::to_string(batch));
        int64_t run = Run(true);
        {
            Stager stager(*store_, run, batch);
            for (int from = 0; from < kEvents; from += kPiece) {
                std::vector<store::NewEvent> piece;
                for (int i = from; i < std::min(kEvents, from + kPiece); ++i) {
                    store::NewEvent e = Event(i, kDistinct);
                    // Each run has ids and dedup keys of its own, as runs against different baselines do.
                    e.dedup_key = "b" + std::to_string(run) + "\x1f" "entered\x1f" + e.message_id;
                    e.message_id += "-r" + std::to_string(run);
                    piece.push_back(std::move(e));
                }
                ASSERT_TRUE(stager.Add(std::move(piece)));
            }
            auto ok = stager.Finish();
            ASSERT_TRUE(ok) << ok.error().ToString();
            // The first of two events with one dedup key is kept: events 240..249 repeat 0..9.
            int filtered = 0;
            for (int i = 0; i < kDistinct; ++i) filtered += i % 5 == 4;
            const store::Published& c = stager.counts().at(activation_);
            EXPECT_EQ(c.queued, kDistinct - filtered);
            EXPECT_EQ(c.filtered, filtered);
            EXPECT_EQ(c.duplicates, kEvents - kDistinct);
        }
        auto events = store_->Read([&](store::Tx& tx) { return tx.RunEvents(run); });
        ASSERT_TRUE(events);
        std::set<std::string> ids;
        for (const auto& e : *events) {
            ids.insert(e.message_id);
            std::string bare = e.message_id.substr(0, e.message_id.find('-'));
            EXPECT_EQ(e.payload_text, R"({"messageId":")" + bare + R"(","type":"track"})");
            EXPECT_EQ(e.status == store::EventStatus::FILTERED, std::stoi(bare.substr(1)) % 5 == 4) << e.message_id;
        }
        EXPECT_EQ(events->size(), size_t{kDistinct});
        EXPECT_EQ(ids.size(), size_t{kDistinct});
    }
}

TEST_F(StagerTest, AFailedBatchStopsTheRestAndSaysWhy) {
    int64_t run = Run(false); // queued, not running: the store refuses its events
    Stager stager(*store_, run, 5);
    std::vector<store::NewEvent> events;
    for (int i = 0; i < 12; ++i) events.push_back(Event(i, 100));
    auto added = stager.Add(std::move(events));
    auto finished = stager.Finish();
    ASSERT_FALSE(finished);
    if (!added) { // the writer may fail before Add ends
        EXPECT_EQ(added.error().message, finished.error().message);
    }
    EXPECT_EQ(finished.error().code, ErrorCode::CONFLICT);
    EXPECT_NE(finished.error().message.find("is not running"), std::string::npos) << finished.error().message;
    // Later events are refused with the same error, and nothing of the run is in the outbox.
    auto again = stager.Add({Event(20, 100)});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, finished.error().message);
    auto staged = store_->Read([&](store::Tx& tx) { return tx.RunEvents(run); });
    ASSERT_TRUE(staged);
    EXPECT_TRUE(staged->empty());
    EXPECT_TRUE(stager.counts().empty());
}

TEST_F(StagerTest, AnAbandonedStagerWritesNoMoreAndSaysSo) {
    int64_t run = Run(true);
    Stager stager(*store_, run, 4);
    std::vector<store::NewEvent> events;
    for (int i = 0; i < 3; ++i) events.push_back(Event(i, 100)); // less than a batch: nothing written yet
    ASSERT_TRUE(stager.Add(std::move(events)));
    stager.Abandon();
    auto finished = stager.Finish();
    ASSERT_FALSE(finished);
    EXPECT_NE(finished.error().message.find("abandoned"), std::string::npos) << finished.error().message;
    EXPECT_FALSE(stager.Add({Event(50, 100)}));
    auto staged = store_->Read([&](store::Tx& tx) { return tx.RunEvents(run); });
    ASSERT_TRUE(staged);
    EXPECT_TRUE(staged->empty());
}

} // namespace
} // namespace kith::run
