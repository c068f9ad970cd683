// Mappings: how an activation turns a kith event into what its destination's action sends. A mapping is JSON
// whose values are constants or directives, in the grammar of Segment's mapping kit (`@path`, `@template`, `@if`,
// `@arrayPath`, `@literal`, `@merge`, `@json`, `@flatten`, `@case`, `@replace`, `@excludeWhenNull`,
// `@transform`), so Segment users' mappings carry over. README.md ("Mappings") gives the grammar and where kith
// differs from Segment.
//
// An action with fields (catalog.hpp) maps each field: the activation's mapping names the fields it sets, the
// other fields keep their default mapping. A free-form action (no fields) sends the mapped payload, or the event
// itself when the mapping is null.
//
//   // once per activation (kith apply validates the same way, with JSON pointers into the file):
//   auto compiled = CompiledMapping::Compile(*action, activation.spec.mapping);
//   // per event:
//   Result<nlohmann::json> body = compiled->Map(event.payload);
//   if (!body) ...; // the event fails for good with body.error().message
#pragma once

#include "common/error.hpp"
#include "deliver/catalog.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kith::deliver {

//! One problem of a mapping (or of a destination filter, filter.hpp).
struct MappingError {
    std::string pointer; //!< RFC 6901 JSON pointer into the mapping, e.g. "/properties/@path"; "" is the mapping
    std::string message;
};

//! Mappings nest at most this deep (objects and arrays, directives included).
inline constexpr size_t kMaxMappingDepth = 64;

//! Checks the grammar of a mapping (any JSON value): every directive known, with its options. Returns every
//! problem; none means the mapping evaluates.
std::vector<MappingError> ValidateMapping(const nlohmann::json& mapping);

//! Evaluates a mapping on a payload. nullopt: the result is undefined (or the mapping is not valid, or evaluating
//! it failed: CompiledMapping tells why).
std::optional<nlohmann::json> EvaluateMapping(const nlohmann::json& mapping, const nlohmann::json& payload);

//! Checks an activation's mapping for an action: the grammar; for an action with fields, that the mapping is an
//! object whose keys are field names, that constants have the field's type, and that each required field has a
//! mapping or a default. For a free-form action the mapping is null or an object. null is always valid.
std::vector<MappingError> ValidateActionMapping(const Action& action, const nlohmann::json& mapping);

namespace mapping_detail {
struct Program;
}

//! An action's mapping, parsed and checked once, applied to every event of the activation. Cheap to copy (the
//! compiled form is shared and never changes). A default-constructed one maps nothing (Map fails, INTERNAL).
class CompiledMapping {
public:
    //! Fails (INVALID) with the problems of ValidateActionMapping: location is the first one's pointer.
    static Result<CompiledMapping> Compile(const Action& action, const nlohmann::json& mapping);

    //! The payload to send for event. Fails (INVALID) when a required field has no value, a field's value has the
    //! wrong type, the mapped payload of a free-form action is not an object, or a directive cannot be evaluated
    //! (a dynamic `@path` that is not a string); the message names the field. Safe to call from several threads.
    Result<nlohmann::json> Map(const nlohmann::json& event) const;
    //! The same, taking the event: where the result holds parts of it (a null mapping, `{"@path": "$."}`,
    //! `"properties": {"@path": "$.properties"}`), they are moved rather than copied.
    Result<nlohmann::json> Map(nlohmann::json&& event) const;

private:
    std::shared_ptr<const mapping_detail::Program> program_;
};

//! CompiledMapping::Compile(action, mapping), then Map(event): for one event. Compile once where events repeat.
Result<nlohmann::json> MapEvent(const Action& action, const nlohmann::json& mapping, const nlohmann::json& event);

} // namespace kith::deliver
