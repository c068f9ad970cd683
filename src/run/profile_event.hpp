// The event an activation sends for one profile, built now from the warehouse as its next run would build it
// (activations.md, "Send test event" and the payload preview): what a test event or a preview shows for a profile
// the activation has queued no event of yet, before its first run included.
//
//   run::ProfileEventRequest request{.user_id = "u1", .as_of_micros = now};
//   auto built = run::BuildProfileEvent(env, catalog, activation, request);
//   // built->event.payload: {"type": "track", "event": "Audience Entered", "userId": "u1", ...}
#pragma once

#include "audience/catalog.hpp"
#include "common/error.hpp"
#include "run/events.hpp"
#include "run/run.hpp"
#include "store/records.hpp"

#include <cstdint>
#include <string>

namespace kith::run {

struct ProfileEventRequest {
    std::string user_id;      //!< the profile's destination user ID (its event's userId); empty: the first member
    int64_t as_of_micros = 0; //!< when the audience is evaluated; the event's timestamp
    int64_t max_event_bytes = 32 * 1024;
};

struct ProfileEvent {
    std::string profile; //!< the profile's canonical_segment_id
    BuiltEvent event;    //!< filter_reason says why a run would not send it (empty: it would)
};

//! The activation's event for the member whose event would carry `user_id` as its userId (the identifier types the
//! activation fills userId with, in their fallback order; every type it sends when none fills userId), or for the
//! audience's first member in bytewise order when user_id is empty. It is built as a run builds an event (identifiers,
//! traits, and for entity triggers the member's first matched entity of the trigger's relationship in bytewise key
//! order with its enriched columns and children; data_graph_entity_context from every entity it matches now), for
//! the change the trigger fires on: "entered", or "exited" for exit triggers. Its messageId is the one the
//! activation's next run would give that change, its computation_run_id "0". NOT_FOUND, saying which, when no
//! profile has that userId, when it is not a member, when it matches no entity of the trigger's relationship, or when
//! the audience has no member to build one for; INVALID when the activation or the audience's definition is.
Result<ProfileEvent> BuildProfileEvent(Environment& env, audience::Catalog& catalog,
                                       const store::ActivationRecord& activation, const ProfileEventRequest& request);

} // namespace kith::run
