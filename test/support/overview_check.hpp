// The delivery overview's running totals against a recount of the outbox, on a state store file that another
// process (a `kith` killed a moment ago) wrote. For the crash and kill suites:
//
//   EXPECT_EQ(kith::test::OverviewTotalsMismatch(state_path), "") << "after kill " << n;
#pragma once

#include <string>

namespace kith::test {

//! "" when the store's overview from its totals equals the recount (Tx::RecountDeliveryOverview) for overviews with
//! and without buckets, of whole minutes and finer, over ranges on and off the minute, and its totals table equals a
//! count of the outbox (Tx::CheckOverviewTotals); else what differs.
std::string OverviewTotalsMismatch(const std::string& state_path);

} // namespace kith::test
