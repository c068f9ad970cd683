#include "api/app.hpp"

#include "common/text.hpp"
#include "common/thread.hpp"
#include "config/warehouse_credentials.hpp"
#include "graph/builder.hpp"
#include "graph/warehouse_check.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

namespace kith::api {

namespace fs = std::filesystem;

App::App(const config::Config& config, AppOptions options)
    : config_(config),
      options_(options),
      stores_([this]() -> Result<std::unique_ptr<store::Store>> { return store::Store::Open(config_.state); },
              options.store_connections),
      warehouses_(
          [this]() -> Result<std::unique_ptr<warehouse::Warehouse>> {
              std::lock_guard lock(root_mutex_);
              return root_->Connect();
          },
          options.warehouse_connections),
      operations_(options.operation_workers),
      catalog_(
          [this](const warehouse::TableName& table) -> Result<std::optional<std::vector<warehouse::Column>>> {
              auto wh = warehouses_.Acquire();
              if (!wh) return std::unexpected(wh.error());
              return (*wh)->DescribeTable(table);
          },
          options.column_cache_ms) {}

App::~App() = default;

Result<std::unique_ptr<App>> App::Open(const config::Config& config, AppOptions options) {
    std::unique_ptr<App> app(new App(config, options));
    // The store: opened once here so that its migrations run before any request.
    auto store = app->stores_.Acquire();
    if (!store) return std::unexpected(store.error());
    // Opened on a background thread: an embedded warehouse starts its worker threads now, and they inherit its
    // priority (below the request threads').
    // Its driver reads the credentials [warehouse_auth] names, else the environment's (warehouse_credentials.hpp).
    auto credentials = config::WarehouseCredentials::Read(config);
    if (!credentials) return std::unexpected(credentials.error());
    Result<std::unique_ptr<warehouse::Warehouse>> root = std::unexpected(Error{});
    std::thread([&] {
        thread::RunInBackground();
        root = warehouse::Open(config.warehouse, credentials->Getenv());
    }).join();
    if (!root) return std::unexpected(root.error());
    app->root_ = std::move(*root);
    auto text = text::ReadFile(config.graph);
    if (!text) return std::unexpected(text.error());
    auto graph = graph::ParseGraph(*text, config.graph);
    if (!graph) {
        std::string all;
        for (const auto& d : graph.error()) all += (all.empty() ? "" : "\n") + d.ToString();
        return Fail(ErrorCode::INVALID, "the data graph is invalid:\n" + all, config.graph);
    }
    app->graph_ = std::make_shared<const graph::DataGraph>(std::move(*graph));
    app->graph_text_ = std::move(*text);
    return app;
}

std::shared_ptr<const graph::DataGraph> App::graph() const {
    std::lock_guard lock(graph_mutex_);
    return graph_;
}

std::pair<std::string, std::string> App::graph_source() const {
    std::lock_guard lock(graph_mutex_);
    return {graph_text_, config_.graph.ends_with(".json") ? "json" : "hcl"};
}

Result<Diagnostics> App::ValidateGraph(const std::string& text, const std::string& format, bool check_warehouse) {
    std::string name = fs::path(config_.graph).stem().string() + (format == "json" ? ".json" : ".hcl");
    auto graph = graph::ParseGraph(text, name);
    if (!graph) return graph.error();
    if (!check_warehouse) return Diagnostics{};
    auto wh = warehouses_.Acquire();
    if (!wh) return std::unexpected(wh.error());
    return graph::CheckAgainstWarehouse(*graph, **wh);
}

Result<Diagnostics> App::ReplaceGraph(const std::string& text, const std::string& format) {
    auto problems = ValidateGraph(text, format, true);
    if (!problems) return problems;
    if (!problems->empty()) return problems;
    std::string current_format = config_.graph.ends_with(".json") ? "json" : "hcl";
    if (format != current_format) {
        return Fail(ErrorCode::INVALID,
                    "the graph file " + config_.graph + " is " + current_format + "; send the graph as " +
                        current_format,
                    "/format");
    }
    auto graph = graph::ParseGraph(text, config_.graph);
    if (!graph) return graph.error();
    // Written next to the file, then renamed over it: a crash leaves the old file or the new one, never half.
    std::string tmp = config_.graph + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) return Fail(ErrorCode::IO, "cannot write the graph file", tmp);
    }
    std::error_code ec;
    fs::rename(tmp, config_.graph, ec);
    if (ec) return Fail(ErrorCode::IO, "cannot replace the graph file: " + ec.message(), config_.graph);
    {
        std::lock_guard lock(graph_mutex_);
        graph_ = std::make_shared<const graph::DataGraph>(std::move(*graph));
        graph_text_ = text;
    }
    catalog_.Clear(); // the new graph may name other tables, or the warehouse changed with it
    return Diagnostics{};
}

} // namespace kith::api
