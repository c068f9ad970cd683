#include "audience/catalog.hpp"

#include "common/text.hpp"

#include <filesystem>

namespace kith::audience {

Result<std::optional<std::vector<warehouse::Column>>> WarehouseCatalog::Columns(const warehouse::TableName& table) {
    std::string key = table.database + "\x1f" + table.schema + "\x1f" + table.table;
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    auto cols = warehouse_.DescribeTable(table);
    if (!cols) return std::unexpected(cols.error());
    cache_[key] = *cols;
    return *cols;
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
