// `kith test-event --config FILE --activation KEY --user-id ID [--as-of TIME] [--json]`: "Send test event"
// (activations.md, "Events"): the activation's newest event for the profile with that destination user ID, or, when it
// has queued none for it yet (before its first run included), the event built now from the warehouse as its next run
// would build it; sent now through its destination (mapping and all) with a `test-` messageId and outside the outbox;
// prints the request (secrets redacted) and the destination's answer.
#pragma once

#include <string>

namespace kith::cli {

struct TestEventArgs {
    std::string config;
    std::string activation;
    std::string user_id;
    std::string as_of; //!< when an event built from the warehouse evaluates the audience; empty: now
    bool json = false;
};
//! Exit 0 when the destination accepted the event, 1 when it refused it, when the activation is unknown, when no
//! member of its audience has that userId, or when its destination cannot be built; 2 for an empty user ID; 3 when
//! the warehouse fails.
int TestEvent(const TestEventArgs& args);

} // namespace kith::cli
