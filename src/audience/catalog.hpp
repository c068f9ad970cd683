// What validation needs to know beyond the audience itself: the column types of
// warehouse tables (Catalog) and the definitions of other audiences (Library).
#pragma once

#include "common/error.hpp"
#include "warehouse/warehouse.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kith::audience {

//! Column types of warehouse tables.
class Catalog {
public:
    virtual ~Catalog() = default;
    //! The table's columns; nullopt when it does not exist; an error when the warehouse fails.
    virtual Result<std::optional<std::vector<warehouse::Column>>> Columns(const warehouse::TableName& table) = 0;
};

//! A Catalog that asks a warehouse once per table.
class WarehouseCatalog final : public Catalog {
public:
    explicit WarehouseCatalog(warehouse::Warehouse& warehouse) : warehouse_(warehouse) {}
    Result<std::optional<std::vector<warehouse::Column>>> Columns(const warehouse::TableName& table) override;

private:
    warehouse::Warehouse& warehouse_;
    std::map<std::string, std::optional<std::vector<warehouse::Column>>> cache_;
};

//! Where referenced audiences (`audience` conditions) come from.
class Library {
public:
    virtual ~Library() = default;
    //! The audience's JSON text and the file it came from; nullopt when there is no such audience.
    struct Entry {
        std::string text;
        std::string file;
    };
    virtual Result<std::optional<Entry>> Load(const std::string& key) = 0;
};

//! Audiences stored as DIR/<key>.json.
class DirectoryLibrary final : public Library {
public:
    explicit DirectoryLibrary(std::string dir) : dir_(std::move(dir)) {}
    Result<std::optional<Entry>> Load(const std::string& key) override;

private:
    std::string dir_;
};

//! Audiences held in memory by key (tests, the service).
class MemoryLibrary final : public Library {
public:
    void Add(const std::string& key, std::string json) { entries_[key] = std::move(json); }
    Result<std::optional<Entry>> Load(const std::string& key) override;

private:
    std::map<std::string, std::string> entries_;
};

} // namespace kith::audience
