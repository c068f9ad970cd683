// Destination filters: the `filter` setting every destination takes (catalog.hpp, CommonSettings). A filter keeps
// or drops events by a condition on the event (before its mapping); the drainer counts the events it rejects as
// filtered at destination, with Describe() as their reason. README.md ("Destination filters") has the grammar.
//
//   {"drop": {"field": "properties.plan", "operator": "=", "value": "free"}}
//   {"keep": {"and": [{"field": "userId", "operator": "exists"},
//                     {"or": [{"field": "properties.user_carts__TOTAL", "operator": ">=", "value": 100},
//                             {"field": "properties.plan", "operator": "in", "value": ["pro", "enterprise"]}]}]}}
//
//   auto filter = DestinationFilter::Compile(activation.spec.destination["filter"]); // once per activation
//   if (!filter->Keeps(event.payload)) outcome = Outcome::Filtered(filter->Describe());
#pragma once

#include "common/error.hpp"
#include "deliver/mapping.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kith::deliver {

//! One problem of a filter; pointer is an RFC 6901 JSON pointer into the filter ("/keep/and/0/operator").
using FilterError = MappingError;

//! Checks a filter: {"keep": COND} or {"drop": COND}, each condition well-formed (README.md). Returns every
//! problem.
std::vector<FilterError> ValidateFilter(const nlohmann::json& filter);

//! A filter, checked and parsed once, applied to each event of the activation.
class DestinationFilter {
public:
    //! Fails (INVALID) with the problems of ValidateFilter: location is the first one's pointer.
    static Result<DestinationFilter> Compile(const nlohmann::json& filter);

    //! Whether the event is sent: it matches a "keep" condition, or does not match a "drop" one.
    bool Keeps(const nlohmann::json& payload) const;

    //! The reason stored on the events it filters: `destination filter: drop when properties.plan = "free"`,
    //! `destination filter: keep only when userId exists and (plan = "pro" or properties.total >= 100)`.
    std::string Describe() const;

    struct Condition;

private:
    std::shared_ptr<const Condition> condition_;
    bool keep_ = true;
    std::string description_;
};

} // namespace kith::deliver
