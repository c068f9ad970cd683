// What validation needs to know beyond the audience itself: the column types of
// warehouse tables (Catalog) and the definitions of other audiences (Library).
#pragma once

#include "common/error.hpp"
#include "schema/column.hpp"
#include "schema/table_name.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kith::audience {

//! Column types of warehouse tables.
class Catalog {
public:
    virtual ~Catalog() = default;
    //! The table's columns; nullopt when it does not exist; an error when the warehouse fails.
    virtual Result<std::optional<std::vector<schema::Column>>> Columns(const schema::TableName& table) = 0;
};

//! A Catalog shared by many threads: each table's columns are fetched once (by `fetch`, e.g. through a pool of
//! warehouse connections) and kept for `ttl_ms`, so that validating a definition usually needs no warehouse at all.
//! A table whose columns change is seen after at most ttl_ms, or at once after Clear(); failures are not kept.
class SharedCatalog final : public Catalog {
public:
    using Fetch = std::function<Result<std::optional<std::vector<schema::Column>>>(const schema::TableName&)>;
    SharedCatalog(Fetch fetch, int64_t ttl_ms, std::function<int64_t()> clock = {});
    Result<std::optional<std::vector<schema::Column>>> Columns(const schema::TableName& table) override;
    //! A Catalog reading this cache that fetches a missing table with `fetch`, e.g. through a warehouse connection
    //! the caller holds already (so it never waits for a second one from the pool the shared fetch uses).
    class Through final : public Catalog {
    public:
        Through(SharedCatalog& shared, Fetch fetch) : shared_(shared), fetch_(std::move(fetch)) {}
        Result<std::optional<std::vector<schema::Column>>> Columns(const schema::TableName& table) override {
            return shared_.Lookup(table, fetch_);
        }

    private:
        SharedCatalog& shared_;
        Fetch fetch_;
    };
    Through Via(Fetch fetch) { return Through(*this, std::move(fetch)); }
    //! Forgets every table (the graph was replaced, or the warehouse changed).
    void Clear();
    //! How many times fetch was called.
    int64_t fetches() const;

private:
    Result<std::optional<std::vector<schema::Column>>> Lookup(const schema::TableName& table, const Fetch& fetch);
    struct Entry {
        std::optional<std::vector<schema::Column>> columns;
        int64_t fetched_at = 0;
    };
    Fetch fetch_;
    int64_t ttl_ms_;
    std::function<int64_t()> clock_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> cache_;
    int64_t fetches_ = 0;
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
