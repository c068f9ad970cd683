// Benchmark (not a test): mappings and destination filters per event, the work the drainer adds to each
// delivered event (the target is 50,000 events/s overall). For each mapping: events per second mapping a
// kith event (activations.md's example, with a few enriched traits) copied (`Map(const json&)`) and handed
// over (`Map(json&&)`, the copy of the event made for it included; the copy alone is timed too), and a
// destination filter's `Keeps`.
//
//   build/bench/mapping_bench [EVENTS]     (default 200000)
#include "deliver/catalog.hpp"
#include "deliver/filter.hpp"
#include "deliver/mapping.hpp"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>

namespace {

using namespace kith;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const json kEvent = json::parse(R"({
  "type": "track", "event": "Entity Entered", "messageId": "3f9a1c5e-42b7-4d0e-9a51-6c2f0e7b8d13",
  "timestamp": "2026-11-28T09:00:00Z", "userId": "u-123",
  "properties": {
    "audience_key": "premium_abandoners", "first_name": "Ada", "last_name": "Lovelace", "plan": "pro",
    "city": "London", "lifetime_value": 1234.5, "orders": 17,
    "user_carts__ID": "c-9", "user_carts__TOTAL": 140, "user_carts__STATUS": "abandoned",
    "user_carts__products": [{"SKU": "324", "NAME": "Tennis Shoes", "PRICE": 89.9, "__entity": "product"},
                             {"SKU": "325", "NAME": "Socks", "PRICE": 9.9, "__entity": "product"}],
    "__entity": "cart",
    "data_graph_entity_context": {"account": {"ID": "a-1", "STATUS": "active"}, "cart": {"ID": "c-9"}}
  },
  "context": {"traits": {"email": "ada@example.com"},
              "personas": {"computation_class": "audience", "computation_id": "aud_1",
                           "computation_key": "premium_abandoners", "computation_run_id": "run_9",
                           "event_emitter_id": "act_3"}}
})");

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

[[noreturn]] void Die(const std::string& what) {
    fmt::print(stderr, "mapping_bench: {}\n", what);
    std::exit(1);
}

const deliver::Action& ActionOf(const char* type, const char* name) {
    const deliver::DestinationType* t = deliver::FindDestinationType(type);
    const deliver::Action* a = t ? deliver::FindAction(*t, name) : nullptr;
    if (!a) Die(fmt::format("no action {}.{}", type, name));
    return *a;
}

void Bench(const char* label, const deliver::Action& action, const char* mapping, int events) {
    auto compiled = deliver::CompiledMapping::Compile(action, json::parse(mapping));
    if (!compiled) Die(compiled.error().ToString());
    size_t bytes = 0;
    auto start = Clock::now();
    for (int i = 0; i < events; ++i) {
        auto out = compiled->Map(kEvent);
        if (!out) Die(out.error().message);
        bytes += out->size();
    }
    auto copied = Clock::now();
    for (int i = 0; i < events; ++i) {
        json event = kEvent; // the drainer's own copy of the event (read from the store)
        auto out = compiled->Map(std::move(event));
        if (!out) Die(out.error().message);
        bytes += out->size();
    }
    auto moved = Clock::now();
    // bytes keeps the results alive for the optimizer.
    fmt::print("{:<28} Map(const&) {:>9.0f} events/s   copy + Map(&&) {:>9.0f} events/s{}\n", label,
               events / Seconds(start, copied), events / Seconds(copied, moved), bytes == 0 ? "?" : "");
}

// Copying the event alone: what Map(&&) pays before it starts, in this benchmark.
void BenchCopy(int events) {
    size_t bytes = 0;
    auto start = Clock::now();
    for (int i = 0; i < events; ++i) {
        json event = kEvent;
        bytes += event.size();
    }
    auto end = Clock::now();
    fmt::print("{:<28} copy        {:>9.0f} events/s{}\n", "the event alone", events / Seconds(start, end),
               bytes == 0 ? "?" : "");
}

} // namespace

int main(int argc, char** argv) {
    int events = argc > 1 ? std::atoi(argv[1]) : 200000;
    if (events <= 0) Die("usage: mapping_bench [EVENTS]");
    fmt::print("{} events of {} bytes\n", events, kEvent.dump().size());
    BenchCopy(events);
    Bench("file: null mapping", ActionOf("file", "send"), "null", events);
    Bench("braze trackEvent defaults", ActionOf("braze", "trackEvent"), "null", events);
    Bench("braze updateUserProfile", ActionOf("braze", "updateUserProfile"), "null", events);
    Bench("iterable trackEvent", ActionOf("iterable", "trackEvent"), "null", events);
    Bench("iterable updateUser, mapped", ActionOf("iterable", "updateUser"),
          R"({"dataFields": {"name": {"@template": "{{properties.first_name}} {{properties.last_name}}"},
                             "plan": {"@case": {"operator": "upper", "value": {"@path": "$.properties.plan"}}},
                             "carts": {"@arrayPath": ["$.properties.user_carts__products",
                                                      {"sku": {"@path": "$.SKU"}, "price": {"@path": "$.PRICE"}}]},
                             "ltv": {"@path": "$.properties.lifetime_value"}}})",
          events);
    Bench(
        "webhook: flatten + template", ActionOf("webhook", "send"),
        R"({"id": {"@path": "$.messageId"}, "flat": {"@flatten": {"value": {"@path": "$.properties"}, "separator": "."}},
              "greeting": {"@template": "Hi {{properties.first_name}}, your cart of {{properties.user_carts__TOTAL}}"}})",
        events);

    auto filter = deliver::DestinationFilter::Compile(json::parse(
        R"({"keep": {"and": [{"field": "userId", "operator": "exists"},
                             {"or": [{"field": "properties.plan", "operator": "in", "value": ["pro", "enterprise"]},
                                     {"field": "properties.user_carts__TOTAL", "operator": ">=", "value": 100}]}]}})"));
    if (!filter) Die(filter.error().ToString());
    int kept = 0;
    auto start = Clock::now();
    for (int i = 0; i < events; ++i) kept += filter->Keeps(kEvent);
    auto end = Clock::now();
    fmt::print("{:<28} Keeps       {:>9.0f} events/s ({} kept)\n", "filter: and/or, 3 conditions",
               events / Seconds(start, end), kept);
    return 0;
}
