// What the commands that read kith's state open first: the config file, the state store it names and the default
// workspace, reporting any failure on stderr; and the warehouse it names, with the credentials of [warehouse_auth].
//
//   OpenedState o;
//   if (int rc = OpenState(args.config, o); rc != 0) return rc;
//   auto audience = o.store->GetAudience(o.workspace, key);
#pragma once

#include "config/config.hpp"
#include "store/store.hpp"
#include "warehouse/warehouse.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace kith::cli {

struct OpenedState {
    config::Config config;
    std::unique_ptr<store::Store> store;
    int64_t workspace = 0;
};

//! Loads the config, opens its state store and finds the default workspace: 0, or the exit code once the problem is
//! on stderr.
int OpenState(const std::string& config_path, OpenedState& out);

//! Opens the config's warehouse, its driver reading the credentials `[warehouse_auth]` names (else the environment).
Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouse(const config::Config& config);

} // namespace kith::cli
