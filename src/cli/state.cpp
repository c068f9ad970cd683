#include "cli/state.hpp"

#include "cli/report.hpp"

#include "config/warehouse_credentials.hpp"

namespace kith::cli {

int OpenState(const std::string& config_path, OpenedState& out) {
    auto config = config::LoadConfig(config_path);
    if (!config) {
        PrintDiagnostics(config.error());
        return 1;
    }
    out.config = std::move(*config);
    auto store = store::Store::Open(out.config.state);
    if (!store) return Report(store.error());
    out.store = std::move(*store);
    auto workspace = out.store->DefaultWorkspace();
    if (!workspace) return Report(workspace.error());
    out.workspace = *workspace;
    return 0;
}

Result<std::unique_ptr<warehouse::Warehouse>> OpenWarehouse(const config::Config& config) {
    auto credentials = config::WarehouseCredentials::Read(config);
    if (!credentials) return std::unexpected(credentials.error());
    return warehouse::Open(config.warehouse, credentials->Getenv());
}

} // namespace kith::cli
