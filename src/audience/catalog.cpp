#include "audience/catalog.hpp"

#include "common/text.hpp"

#include <chrono>
#include <filesystem>

namespace kith::audience {

namespace {

std::string TableKey(const schema::TableName& table) {
    return table.database + "\x1f" + table.schema + "\x1f" + table.table;
}

int64_t SteadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

SharedCatalog::SharedCatalog(Fetch fetch, int64_t ttl_ms, std::function<int64_t()> clock)
    : fetch_(std::move(fetch)), ttl_ms_(ttl_ms), clock_(clock ? std::move(clock) : SteadyMs) {}

Result<std::optional<std::vector<schema::Column>>> SharedCatalog::Columns(const schema::TableName& table) {
    return Lookup(table, fetch_);
}

Result<std::optional<std::vector<schema::Column>>> SharedCatalog::Lookup(const schema::TableName& table,
                                                                            const Fetch& fetch) {
    std::string key = TableKey(table);
    {
        std::lock_guard lock(mutex_);
        auto it = cache_.find(key);
        if (it != cache_.end() && clock_() - it->second.fetched_at < ttl_ms_) return it->second.columns;
        ++fetches_;
    }
    // Fetched without the lock: other tables' lookups do not wait for this one.
    int64_t at = clock_();
    auto cols = fetch(table);
    if (!cols) return std::unexpected(cols.error());
    std::lock_guard lock(mutex_);
    cache_[key] = Entry{*cols, at};
    return *cols;
}

void SharedCatalog::Clear() {
    std::lock_guard lock(mutex_);
    cache_.clear();
}

int64_t SharedCatalog::fetches() const {
    std::lock_guard lock(mutex_);
    return fetches_;
}

Result<std::optional<Library::Entry>> DirectoryLibrary::Load(const std::string& key) {
    // Keys are slugs; anything that could leave the folder is simply not found.
    if (key.empty() || key.find('/') != std::string::npos || key.find('\\') != std::string::npos || key[0] == '.' ||
        key.find('\0') != std::string::npos) {
        return std::optional<Entry>{};
    }
    std::string path = (std::filesystem::path(dir_) / (key + ".json")).string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<Entry>{};
    auto text = text::ReadFile(path);
    if (!text) return std::unexpected(text.error());
    return std::optional<Entry>(Entry{std::move(*text), path});
}

Result<std::optional<Library::Entry>> MemoryLibrary::Load(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::optional<Entry>{};
    return std::optional<Entry>(Entry{it->second, key + ".json"});
}

} // namespace kith::audience
