#include "deliver/drain.hpp"
#include "support/http_server.hpp"

#include "common/text.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

namespace kith::deliver {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A real store in a temporary folder, on a fake clock that only the fake sleeper moves.
class DrainTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_drain_test_" + std::to_string(getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        config_ = config::Defaults(dir_.string());
        // No rate limits unless a test sets them.
        config_.delivery.activation_rate = 1'000'000;
        config_.delivery.workspace_rate = 1'000'000;
        store::Store::Options o;
        o.clock = [this] { return now_; };
        auto s = store::Store::Open(config_.state, o);
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
        store::AudienceSpec vip;
        vip.key = "vip";
        vip.name = "VIPs";
        ASSERT_TRUE(store_->UpsertAudience(1, vip));
        audience_ = (*store_->GetAudience(1, "vip"))->id;
    }
    void TearDown() override { fs::remove_all(dir_); }

    int64_t Activation(const std::string& key, const json& destination, bool enabled = true) {
        store::ActivationSpec a;
        a.key = key;
        a.audience = "vip";
        a.destination = destination;
        a.action = "send";
        a.trigger = "profile_enters";
        a.enabled = enabled;
        EXPECT_TRUE(store_->UpsertActivation(1, a));
        return (*store_->Transaction([&](store::Tx& tx) { return tx.GetActivation(1, key); }))->id;
    }

    // Queues n events m<first>..m<first+n-1> for the activation, in a new completed run (a run's events are
    // delivered once it is completed); returns the run's id.
    int64_t Queue(int64_t activation, int n, int first = 0) {
        int64_t run = *store_->CreateRun(audience_, "manual");
        store::Run completed = **store_->GetRun(run);
        completed.status = store::RunStatus::COMPLETED;
        EXPECT_TRUE(store_->UpdateRun(completed));
        std::vector<store::NewEvent> events;
        for (int i = first; i < first + n; ++i) {
            std::string id = "m" + std::to_string(i);
            events.push_back({activation,
                              id,
                              "Audience Entered",
                              {{"type", "track"},
                               {"event", "Audience Entered"},
                               {"messageId", id},
                               {"userId", "u" + std::to_string(i)},
                               {"properties", {{"audience_key", "vip"}}}},
                              "", "", ""});
        }
        auto queued = store_->Transaction([&](store::Tx& tx) { return tx.EnqueueEvents(run, events); });
        EXPECT_TRUE(queued && *queued == n);
        return run;
    }

    DrainOptions Options() {
        DrainOptions o;
        o.until_idle = true;
        o.seed = 7;
        o.clock = [this] { return now_; };
        o.sleep = [this](int64_t ms) {
            EXPECT_GT(ms, 0);
            now_ += ms;
            slept_ms_ += ms;
            ++sleeps_;
            if (on_sleep_) on_sleep_();
        };
        o.log = [this](std::string_view line) { log_ += std::string(line) + "\n"; };
        return o;
    }

    DrainReport DrainOk(const DrainOptions& o) {
        auto r = Drain(*store_, config_, o);
        EXPECT_TRUE(r) << r.error().ToString();
        return r ? *r : DrainReport{};
    }

    std::vector<json> Lines(const std::string& name) {
        std::vector<json> out;
        auto text = text::ReadFile((dir_ / name).string());
        if (!text) return out;
        EXPECT_TRUE(text->empty() || text->back() == '\n');
        std::istringstream in(*text);
        for (std::string line; std::getline(in, line);) {
            EXPECT_FALSE(line.empty());
            json value = json::parse(line); // throws, failing the test, on a line that is not JSON
            EXPECT_EQ(line, value.dump()) << "not one compact JSON value";
            out.push_back(value);
        }
        return out;
    }

    std::map<store::EventStatus, int64_t> Counts(int64_t activation) {
        return *store_->Transaction([&](store::Tx& tx) { return tx.CountEvents(activation); });
    }
    store::OutboxEvent Event(const std::string& id) {
        return **store_->Transaction([&](store::Tx& tx) { return tx.GetEvent(id); });
    }

    fs::path dir_;
    config::Config config_;
    std::unique_ptr<store::Store> store_;
    int64_t audience_ = 0;
    int64_t now_ = 1'800'000'000'000;
    int64_t slept_ms_ = 0;
    int sleeps_ = 0;
    std::function<void()> on_sleep_;
    std::string log_;
};

TEST_F(DrainTest, EachEventIsAppendedOnceInOrder) {
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "events.ndjson"}});
    Queue(file, 2500); // more than one pass (batch_size) and more than one Send (MaxBatch)
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.end, DrainEnd::IDLE);
    EXPECT_EQ(r.counts.delivered, 2500);
    EXPECT_EQ(r.counts.retried + r.counts.failed + r.counts.filtered, 0);
    EXPECT_EQ(r.pending, 0);
    EXPECT_EQ(sleeps_, 0);
    auto lines = Lines("events.ndjson"); // relative to [delivery] file_root, the state store's folder
    ASSERT_EQ(lines.size(), 2500u);
    for (size_t i = 0; i < lines.size(); ++i) {
        ASSERT_EQ(lines[i]["messageId"], "m" + std::to_string(i));
        ASSERT_EQ(lines[i]["userId"], "u" + std::to_string(i));
    }
    EXPECT_EQ(lines[0], Event("m0").payload); // the event itself
    EXPECT_EQ(Counts(file)[store::EventStatus::DELIVERED], 2500);
    EXPECT_EQ(Event("m17").attempts, 1);
    ASSERT_TRUE(Event("m17").finished_at);

    // Draining again sends nothing; new events are appended after the old ones.
    DrainReport again = DrainOk(Options());
    EXPECT_EQ(again.end, DrainEnd::IDLE);
    EXPECT_EQ(again.counts.delivered, 0);
    EXPECT_EQ(Lines("events.ndjson").size(), 2500u);
    Queue(file, 2, 2500);
    EXPECT_EQ(DrainOk(Options()).counts.delivered, 2);
    lines = Lines("events.ndjson");
    ASSERT_EQ(lines.size(), 2502u);
    EXPECT_EQ(lines[2501]["messageId"], "m2501");
}

TEST_F(DrainTest, EventsOfSeveralActivationsGoToTheirOwnFiles) {
    int64_t a = Activation("a", {{"type", "file"}, {"path", "a.ndjson"}});
    int64_t b = Activation("b", {{"type", "file"}, {"path", (dir_ / "sub" / "b.ndjson").string()}});
    fs::create_directories(dir_ / "sub");
    Queue(a, 3, 0);
    Queue(b, 2, 3);
    Queue(a, 1, 5);
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.counts.delivered, 6);
    auto la = Lines("a.ndjson"), lb = Lines("sub/b.ndjson");
    ASSERT_EQ(la.size(), 4u);
    ASSERT_EQ(lb.size(), 2u);
    EXPECT_EQ(la[3]["messageId"], "m5");
    EXPECT_EQ(lb[0]["messageId"], "m3");
}

TEST_F(DrainTest, AnUnwritablePathIsRetriedThenFailsAfterTheRetryWindow) {
    config_.delivery.retry_for_s = 600;
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "missing/events.ndjson"}});
    int64_t start = now_;
    Queue(file, 3);
    DrainOptions o = Options();
    std::vector<int64_t> due_times;
    on_sleep_ = [&] {
        int64_t due = Event("m0").next_attempt_at;
        if (due_times.empty() || due_times.back() != due) due_times.push_back(due);
    };
    DrainReport r = DrainOk(o);
    EXPECT_EQ(r.end, DrainEnd::IDLE);
    EXPECT_EQ(r.counts.delivered, 0);
    EXPECT_EQ(r.counts.failed, 3);
    EXPECT_GE(r.counts.retried, 3 * 5); // backoff from 1 s doubles: at least 5 retries fit in 600 s
    EXPECT_EQ(r.counts.retried % 3, 0); // the three events fail and retry together
    EXPECT_EQ(r.pending, 0);
    EXPECT_FALSE(fs::exists(dir_ / "missing"));
    // Failed for good once the window (600 s since the events were queued) was over, not before.
    EXPECT_EQ(now_, start + 600'000);
    store::OutboxEvent e = Event("m0");
    EXPECT_EQ(e.status, store::EventStatus::FAILED);
    EXPECT_EQ(e.last_error, "gave up after retrying for 600 s: cannot open " +
                                (dir_ / "missing/events.ndjson").string() + ": No such file or directory");
    EXPECT_EQ(e.attempts, r.counts.retried / 3 + 1);
    EXPECT_EQ(Counts(file)[store::EventStatus::FAILED], 3);
    // The delays grow: randomized, each within [base * 2^k / 2, base * 2^k], capped at the window's end.
    ASSERT_GE(due_times.size(), 5u);
    int64_t previous = start;
    for (size_t k = 0; k < due_times.size(); ++k) {
        int64_t delay = due_times[k] - previous, full = int64_t{1000} << k;
        if (due_times[k] == start + 600'000) break; // the last attempt, at the window's end
        EXPECT_GE(delay, full / 2) << k;
        EXPECT_LE(delay, full) << k;
        previous = due_times[k];
    }
}

TEST_F(DrainTest, ARetriedEventIsDeliveredOnceThePathWorks) {
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "later/events.ndjson"}});
    Queue(file, 2);
    on_sleep_ = [&] {
        if (Event("m0").attempts == 3) fs::create_directories(dir_ / "later");
    };
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.end, DrainEnd::IDLE);
    EXPECT_EQ(r.counts.delivered, 2);
    EXPECT_EQ(r.counts.retried, 2 * 3);
    EXPECT_EQ(r.counts.failed, 0);
    auto lines = Lines("later/events.ndjson");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1]["messageId"], "m1");
    store::OutboxEvent e = Event("m1");
    EXPECT_EQ(e.status, store::EventStatus::DELIVERED);
    EXPECT_EQ(e.attempts, 4);
    EXPECT_EQ(e.last_error, "");
}

TEST_F(DrainTest, AnUnbuildableDestinationStaysPendingWithAClearError) {
    // Settings kith apply would refuse, written to the store by hand: the destination cannot be built.
    int64_t hook = Activation("vip_hook", {{"type", "webhook"}, {"url", "ftp://127.0.0.1/in"}});
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "events.ndjson"}});
    Queue(hook, 2, 0);
    Queue(file, 1, 2);
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.end, DrainEnd::HELD);
    EXPECT_EQ(r.counts.delivered, 1); // the file activation is not held up
    EXPECT_EQ(r.counts.failed + r.counts.retried, 0);
    EXPECT_EQ(r.pending, 2);
    ASSERT_EQ(r.held.size(), 1u);
    EXPECT_EQ(r.held[0].key, "vip_hook");
    EXPECT_EQ(r.held[0].pending, 2);
    EXPECT_EQ(r.held[0].error, "a webhook destination needs \"url\", an http:// or https:// URL");
    store::OutboxEvent e = Event("m0");
    EXPECT_EQ(e.status, store::EventStatus::PENDING);
    EXPECT_EQ(e.attempts, 0); // no attempt counted, so the retry window never ends it
    EXPECT_EQ(e.last_error, r.held[0].error + "; its events stay pending");
    EXPECT_EQ(Counts(hook)[store::EventStatus::PENDING], 2);
    EXPECT_NE(log_.find("activation \"vip_hook\": a webhook destination needs \"url\""),
              std::string::npos)
        << log_;
    EXPECT_EQ(Lines("events.ndjson").size(), 1u);
}

TEST_F(DrainTest, ADisabledActivationIsHeld) {
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "events.ndjson"}}, false);
    Queue(file, 1);
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.end, DrainEnd::HELD);
    ASSERT_EQ(r.held.size(), 1u);
    EXPECT_EQ(r.held[0].error, "the activation is disabled");
    EXPECT_FALSE(fs::exists(dir_ / "events.ndjson"));
}

TEST_F(DrainTest, UntilIdleWithATimeoutReturnsTheTimeout) {
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "missing/events.ndjson"}});
    Queue(file, 2);
    int64_t start = now_;
    DrainOptions o = Options();
    o.timeout_ms = 10'000;
    DrainReport r = DrainOk(o);
    EXPECT_EQ(r.end, DrainEnd::TIMEOUT);
    EXPECT_EQ(now_, start + 10'000); // it slept up to the deadline, not past it
    EXPECT_EQ(r.pending, 2);
    EXPECT_EQ(r.counts.failed, 0);
    EXPECT_GE(r.counts.retried, 2 * 3);
    EXPECT_EQ(Event("m1").status, store::EventStatus::PENDING);

    // With a held activation too, the timeout ends it while other events still wait for a retry.
    int64_t hook = Activation("vip_hook", {{"type", "webhook"}, {"url", "ftp://127.0.0.1/in"}});
    Queue(hook, 1, 10);
    DrainReport again = DrainOk(o);
    EXPECT_EQ(again.end, DrainEnd::TIMEOUT);
    EXPECT_EQ(again.pending, 3);
    ASSERT_EQ(again.held.size(), 1u);
    EXPECT_EQ(again.held[0].key, "vip_hook");
}

TEST_F(DrainTest, RateLimitsPerActivationAndPerWorkspace) {
    // 10 events a second for this activation (its own setting), the workspace's default for the other.
    config_.delivery.activation_rate = 1000;
    config_.delivery.workspace_rate = 1000;
    int64_t slow = Activation("slow", {{"type", "file"}, {"path", "slow.ndjson"}, {"rate_limit", 10}});
    int64_t fast = Activation("fast", {{"type", "file"}, {"path", "fast.ndjson"}});
    Queue(slow, 50, 0);
    Queue(fast, 500, 50);
    std::vector<std::pair<int64_t, size_t>> seen; // (time, lines in slow.ndjson) after each sleep
    size_t fast_at_first_sleep = 0;
    auto lines = [&](const char* f) { return fs::exists(dir_ / f) ? Lines(f).size() : 0; };
    on_sleep_ = [&] {
        if (seen.empty()) fast_at_first_sleep = lines("fast.ndjson");
        seen.emplace_back(now_, lines("slow.ndjson"));
    };
    int64_t start = now_;
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.end, DrainEnd::IDLE);
    EXPECT_EQ(r.counts.delivered, 550);
    EXPECT_EQ(Lines("slow.ndjson").size(), 50u);
    EXPECT_EQ(Lines("fast.ndjson").size(), 500u);
    // 10 at once (a second's worth), then 10 a second: 4 more seconds, not less.
    EXPECT_GE(now_ - start, 4000);
    EXPECT_LE(now_ - start, 5000);
    for (const auto& [t, lines] : seen) {
        EXPECT_LE(lines, static_cast<size_t>(10 + (t - start) / 100)) << "at " << t - start << " ms"; // ≤ 10/s
    }
    // The fast activation was not held up behind the slow one: all its events were out before the first wait.
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(fast_at_first_sleep, 500u);

    // The workspace's limit binds both: 300 events at 100 a second take about 2 s more.
    config_.delivery.workspace_rate = 100;
    Queue(fast, 300, 1000);
    int64_t t0 = now_;
    seen.clear();
    DrainReport w = DrainOk(Options());
    EXPECT_EQ(w.counts.delivered, 300);
    EXPECT_GE(now_ - t0, 2000);
    EXPECT_LE(now_ - t0, 3000);
}

TEST_F(DrainTest, AWebhookThatFailsInEveryWayGetsEachEventOnceOrAClearFailure) {
    // One event per kind of failure, each told to the local webhook by its messageId: the first attempt fails as
    // the table says, later ones succeed, except for the permanent failures and the endless 503.
    config_.delivery.timeout_ms = 300;
    config_.delivery.retry_for_s = 600;
    std::mutex mu;
    std::map<std::string, int> attempts;
    std::map<std::string, int> accepted;
    test::HttpServer hook([&](const test::HttpServer::Request& r) {
        json e = json::parse(r.body);
        std::string id = e["messageId"];
        int n;
        {
            std::lock_guard lock(mu);
            n = ++attempts[id];
        }
        using Reply = test::HttpServer::Reply;
        Reply ok{200, "{}", {}, 0, false};
        Reply reply = ok;
        if (id == "m1" && n == 1) reply = Reply{500, "{\"error\":\"oops\"}", {}, 0, false};
        if (id == "m2" && n == 1) reply = Reply{429, "{}", {{"Retry-After", "120"}}, 0, false};
        if (id == "m3" && n == 1) reply = Reply{200, "{}", {}, 1000, false}; // past the 300 ms timeout
        if (id == "m4" && n == 1) reply = Reply{200, "{}", {}, 0, true};     // connection closed mid-answer
        if (id == "m5") reply = Reply{400, "{\"error\":\"bad payload\"}", {}, 0, false};
        if (id == "m6") reply = Reply{401, "{\"error\":\"bad token\"}", {}, 0, false};
        if (id == "m7") reply = Reply{503, "busy", {}, 0, false};
        if (reply.status == 200 && !reply.drop && reply.delay_ms == 0) {
            std::lock_guard lock(mu);
            ++accepted[id];
        }
        return reply;
    });
    // The local webhook's address is internal: the config allows it.
    config_.delivery.allow_hosts = {*outbound::ParseAllowRule("127.0.0.1:" + std::to_string(hook.port()))};
    int64_t a = Activation("hook", {{"type", "webhook"}, {"url", hook.url() + "/in"}, {"concurrency", 1}});
    Queue(a, 8);
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.end, DrainEnd::IDLE);
    EXPECT_EQ(r.counts.delivered, 5);
    EXPECT_EQ(r.counts.failed, 3);
    EXPECT_EQ(r.pending, 0);
    std::lock_guard lock(mu);
    EXPECT_EQ(accepted, (std::map<std::string, int>{{"m0", 1}, {"m1", 1}, {"m2", 1}, {"m3", 1}, {"m4", 1}}));
    for (const char* id : {"m1", "m2", "m3", "m4"}) EXPECT_EQ(attempts[id], 2) << id;
    EXPECT_EQ(attempts["m0"], 1);
    EXPECT_EQ(attempts["m5"], 1); // 4xx: not retried
    EXPECT_EQ(attempts["m6"], 1);
    EXPECT_GE(attempts["m7"], 4); // retried with backoff until the window closed
    EXPECT_GE(slept_ms_, 120'000); // the Retry-After was honoured
    for (const char* id : {"m0", "m1", "m2", "m3", "m4"}) EXPECT_EQ(Event(id).status, store::EventStatus::DELIVERED) << id;
    EXPECT_EQ(Event("m1").attempts, 2);
    EXPECT_EQ(Event("m5").status, store::EventStatus::FAILED);
    EXPECT_EQ(Event("m5").last_error, "status 400: {\"error\":\"bad payload\"}");
    EXPECT_EQ(Event("m6").last_error, "status 401: {\"error\":\"bad token\"}");
    EXPECT_EQ(Event("m7").status, store::EventStatus::FAILED);
    EXPECT_EQ(Event("m7").last_error, "gave up after retrying for 600 s: status 503: busy");
    // m3's server answered after the timeout: the event was sent twice, and that is the at-least-once promise.
    EXPECT_EQ(Event("m3").status, store::EventStatus::DELIVERED);
    EXPECT_EQ(Event("m1").last_status, 200);
    EXPECT_EQ(Event("m5").last_status, 400);
    EXPECT_EQ(Event("m4").last_status, 200);

    // The delivery overview adds up, and each failure is listed with its status and reason.
    store::OverviewFilter f;
    f.activation_id = a;
    auto rows = store_->Transaction([&](store::Tx& tx) { return tx.DeliveryOverview(f); });
    ASSERT_TRUE(rows) << rows.error().ToString();
    ASSERT_EQ(rows->size(), 1u);
    const store::OverviewRow& row = rows->front();
    EXPECT_EQ(row.event_name, "Audience Entered");
    EXPECT_EQ(row.from_audience, 8);
    EXPECT_EQ(row.delivered, 5);
    EXPECT_EQ(row.failed, 3);
    EXPECT_EQ(row.filtered_at_source + row.filtered_at_destination + row.queued + row.pending_retry, 0);
    auto failed = store_->Transaction([&](store::Tx& tx) { return tx.OverviewEvents(store::OverviewStep::FAILED, f, 10); });
    ASSERT_TRUE(failed);
    std::map<std::string, std::pair<int64_t, std::string>> reasons;
    for (const auto& e : *failed) reasons[e.message_id] = {e.last_status, e.last_error};
    EXPECT_EQ(reasons, (std::map<std::string, std::pair<int64_t, std::string>>{
                           {"m5", {400, "status 400: {\"error\":\"bad payload\"}"}},
                           {"m6", {401, "status 401: {\"error\":\"bad token\"}"}},
                           {"m7", {503, "gave up after retrying for 600 s: status 503: busy"}}}));
}

TEST_F(DrainTest, ADestinationFilterDropsEventsAsFilteredAtDestination) {
    int64_t a = Activation("vip_file", {{"type", "file"},
                                        {"path", "events.ndjson"},
                                        {"filter", {{"drop", {{"field", "userId"}, {"operator", "in"},
                                                              {"value", {"u1", "u3"}}}}}}});
    Queue(a, 5);
    DrainReport r = DrainOk(Options());
    EXPECT_EQ(r.end, DrainEnd::IDLE);
    EXPECT_EQ(r.counts.delivered, 3);
    EXPECT_EQ(r.counts.filtered, 2);
    auto lines = Lines("events.ndjson");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["userId"], "u0");
    EXPECT_EQ(lines[1]["userId"], "u2"); // the kept events keep their order
    EXPECT_EQ(lines[2]["userId"], "u4");
    store::OutboxEvent dropped = Event("m1");
    EXPECT_EQ(dropped.status, store::EventStatus::FILTERED);
    EXPECT_EQ(dropped.filter_stage, "destination");
    EXPECT_EQ(dropped.last_error.rfind("destination filter: drop when userId", 0), 0u) << dropped.last_error;

    // A filter kith apply would refuse holds the activation with the reason, rather than guessing.
    int64_t bad = Activation("bad_filter", {{"type", "file"}, {"path", "x.ndjson"}, {"filter", {{"sometimes", true}}}});
    Queue(bad, 1, 10);
    DrainReport held = DrainOk(Options());
    EXPECT_EQ(held.end, DrainEnd::HELD);
    ASSERT_EQ(held.held.size(), 1u);
    EXPECT_EQ(held.held[0].error.rfind("unusable destination filter: ", 0), 0u) << held.held[0].error;
}

TEST_F(DrainTest, OnlyTheRunsEventsWhenAsked) {
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "events.ndjson"}});
    int64_t first = Queue(file, 2, 0);
    int64_t second = Queue(file, 3, 2);
    DrainOptions o = Options();
    o.run_id = second;
    DrainReport r = DrainOk(o);
    EXPECT_EQ(r.end, DrainEnd::IDLE);
    EXPECT_EQ(r.counts.delivered, 3);
    EXPECT_EQ(r.pending, 0); // of that run
    auto lines = Lines("events.ndjson");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["messageId"], "m2");
    EXPECT_EQ(Event("m0").status, store::EventStatus::PENDING);
    o.run_id = first;
    EXPECT_EQ(DrainOk(o).counts.delivered, 2);
}

TEST_F(DrainTest, WithoutUntilIdleItPollsUntilStopped) {
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "events.ndjson"}});
    Queue(file, 1, 0);
    DrainOptions o = Options();
    o.until_idle = false;
    int asked = 0;
    o.stop = [&] { return ++asked > 5; };
    // Events queued while it waits are picked up at the next poll.
    on_sleep_ = [&] {
        if (sleeps_ == 2) Queue(file, 1, 1);
    };
    DrainReport r = DrainOk(o);
    EXPECT_EQ(r.end, DrainEnd::STOPPED);
    EXPECT_EQ(r.counts.delivered, 2);
    EXPECT_EQ(Lines("events.ndjson").size(), 2u);
    EXPECT_GE(sleeps_, 3);
    EXPECT_EQ(slept_ms_, sleeps_ * o.poll_ms); // nothing pending: it sleeps one poll interval at a time
}

TEST_F(DrainTest, ProgressIsLoggedEverySoOftenNotPerBatch) {
    int64_t file = Activation("vip_file", {{"type", "file"}, {"path", "events.ndjson"}});
    Queue(file, 50);
    DrainOptions o = Options();
    o.batch_size = 10;
    o.progress_ms = 5000;
    o.clock = [this] { return now_ += 1000; }; // every look at the clock takes a second
    DrainReport r = DrainOk(o);
    EXPECT_EQ(r.counts.delivered, 50);
    size_t lines = std::count(log_.begin(), log_.end(), '\n');
    EXPECT_GE(lines, 1u);
    EXPECT_LT(lines, 5u) << log_; // five batches, fewer lines
    EXPECT_NE(log_.find("deliver: "), std::string::npos) << log_;
}

TEST(NextAttempt, BackoffRetryAfterAndTheRetryWindow) {
    store::OutboxEvent e;
    e.created_at = 1000;
    const int64_t window = 60'000; // the window ends at 61'000
    EXPECT_EQ(NextAttempt(e, std::nullopt, 2000, window, 500), 2500);
    EXPECT_EQ(NextAttempt(e, 3000, 2000, window, 500), 5000);                // Retry-After wins over a shorter backoff
    EXPECT_EQ(NextAttempt(e, 100, 2000, window, 500), 2500);                 // ... and not over a longer one
    EXPECT_EQ(NextAttempt(e, std::nullopt, 50'000, window, 20'000), 61'000); // one last try at the window's end
    EXPECT_EQ(NextAttempt(e, std::nullopt, 61'000, window, 500), std::nullopt); // the window is over
    EXPECT_EQ(NextAttempt(e, 30'000, 40'000, window, 500), std::nullopt);       // Retry-After asks past the window
}

} // namespace
} // namespace kith::deliver
