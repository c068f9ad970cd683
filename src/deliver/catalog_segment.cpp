// Segment, as Segment's own "Segment" destination names it: its write key setting and actions, with kith's
// free-form `send` first (src/deliver/README.md lists where kith differs and why).
#include "deliver/catalog_types.hpp"

namespace kith::deliver::catalog_types {

DestinationType Segment() {
    using K = SettingKind;
    std::vector<Setting> settings = {
        {"source_write_key", K::SECRET, true, 0, {}, "the write key of the Segment source", "Source Write Key"},
        {"region",
         K::STRING,
         false,
         0,
         {"us-west-2", "eu-west-1"},
         "where the workspace lives: api.segment.io (us-west-2) or events.eu1.segmentapis.com (eu-west-1)",
         "Region",
         "us-west-2"},
    };
    for (auto& s : HttpSettings("a URL that replaces the region's (any Segment-compatible collector, a server in tests)",
                                500, "events per request (default 100; a request stays under 500 KB)")) {
        settings.push_back(std::move(s));
    }
    return {"segment",
            "Segment's tracking API, or any Segment-compatible HTTP collector",
            {{"send", "POST {base}/v1/batch with the event as it is (or the mapped object), the write key as basic auth",
              {},
              "Send"}},
            settings};
}

} // namespace kith::deliver::catalog_types
