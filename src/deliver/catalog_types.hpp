// The catalog's destination types that follow Segment's destinations, one file each (catalog_braze.cpp,
// catalog_iterable.cpp, catalog_segment.cpp). Internal to the catalog: DestinationTypes() lists them.
#pragma once

#include "deliver/catalog.hpp"

namespace kith::deliver::catalog_types {

DestinationType Braze();
DestinationType Iterable();
DestinationType Segment();

//! The settings of the HTTP destinations that send to one service: base_url (beside the region choices),
//! batch_size up to max_batch (default_batch when absent) and concurrency.
std::vector<Setting> HttpSettings(const std::string& base_url_description, int64_t max_batch,
                                  const std::string& batch_description);

} // namespace kith::deliver::catalog_types
