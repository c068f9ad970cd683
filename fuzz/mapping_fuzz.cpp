// libFuzzer target: mappings and destination filters on payloads. The input is up to three lines: a mapping, a
// filter and a payload, each JSON (the seeds in fuzz/seeds/mapping are such NDJSON files); a line that is not JSON
// is a string. Invariants: no crash, no leak, no undefined behaviour; validation and compilation agree; every
// problem has a JSON pointer and a message; mapping an event copied or handed over gives the same result; a
// compiled filter describes itself.
#include "deliver/catalog.hpp"
#include "deliver/filter.hpp"
#include "deliver/mapping.hpp"

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

namespace {

using nlohmann::json;

json Parse(std::string_view text) {
    json v = json::parse(text, nullptr, false);
    if (v.is_discarded()) return json(std::string(text));
    return v;
}

void CheckErrors(const std::vector<kith::deliver::MappingError>& errors) {
    for (const auto& e : errors) {
        if (e.message.empty() || (!e.pointer.empty() && e.pointer[0] != '/')) std::abort();
    }
}

void CheckAction(const kith::deliver::Action& action, const json& mapping, const json& payload) {
    auto errors = kith::deliver::ValidateActionMapping(action, mapping);
    CheckErrors(errors);
    auto compiled = kith::deliver::CompiledMapping::Compile(action, mapping);
    if (compiled.has_value() != errors.empty()) std::abort();
    if (!compiled) return;
    auto copied = compiled->Map(payload);
    json taken = payload;
    auto moved = compiled->Map(std::move(taken));
    if (copied.has_value() != moved.has_value()) std::abort();
    if (copied && *copied != *moved) std::abort();
    // What is sent is an object, except the event itself (a null mapping of a free-form action).
    if (copied && !copied->is_object() && !(action.fields.empty() && mapping.is_null())) std::abort();
    if (!copied && copied.error().message != moved.error().message) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string_view lines[3];
    for (auto& line : lines) {
        size_t end = text.find('\n');
        line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    const json mapping = Parse(lines[0]);
    const json filter = Parse(lines[1]);
    const json payload = Parse(lines[2]);

    auto errors = kith::deliver::ValidateMapping(mapping);
    CheckErrors(errors);
    auto value = kith::deliver::EvaluateMapping(mapping, payload);
    if (value && !errors.empty()) std::abort();

    // A free-form action and one with fields (Braze's track event, which has defaults and required fields).
    using kith::deliver::FindAction;
    using kith::deliver::FindDestinationType;
    CheckAction(*FindAction(*FindDestinationType("webhook"), "send"), mapping, payload);
    CheckAction(*FindAction(*FindDestinationType("braze"), "trackEvent"), mapping, payload);
    CheckAction(*FindAction(*FindDestinationType("iterable"), "updateUser"), mapping, payload);

    auto filter_errors = kith::deliver::ValidateFilter(filter);
    CheckErrors(filter_errors);
    auto compiled = kith::deliver::DestinationFilter::Compile(filter);
    if (compiled.has_value() != filter_errors.empty()) std::abort();
    if (compiled) {
        (void)compiled->Keeps(payload);
        if (value) (void)compiled->Keeps(*value);
        if (!compiled->Describe().starts_with("destination filter: ")) std::abort();
    }
    return 0;
}
