// `kith test-event --config FILE --activation KEY --user-id ID [--json]`: "Send test event" (activations.md,
// "Events"): the activation's newest event for the profile with that destination user ID, sent now through its
// destination (mapping and all) with a `test-` messageId and outside the outbox; prints the request (secrets
// redacted) and the destination's answer.
#pragma once

#include <string>

namespace kith::cli {

struct TestEventArgs {
    std::string config;
    std::string activation;
    std::string user_id;
    bool json = false;
};
//! Exit 0 when the destination accepted the event, 1 when it refused it, when the activation is unknown or has no
//! event for that user yet, or when its destination cannot be built.
int TestEvent(const TestEventArgs& args);

} // namespace kith::cli
