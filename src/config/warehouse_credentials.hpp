// The warehouse credentials a config file names in `[warehouse_auth]` (warehouses.md, "Secrets"), read when the
// warehouse is opened and handed to its driver in place of the environment.
//
//   auto credentials = config::WarehouseCredentials::Read(config);
//   if (!credentials) return Report(credentials.error());
//   auto wh = warehouse::Open(config.warehouse, credentials->Getenv());
//
// With entries in the table, they alone are the credentials: a credential variable the table does not name reads
// as unset (so the environment's GOOGLE_APPLICATION_CREDENTIALS cannot win over the table's BIGQUERY_ACCESS_TOKEN);
// other variables (SNOWFLAKE_USER) come from the environment. Without entries, everything does. No error holds a
// value.
#pragma once

#include "common/error.hpp"
#include "config/config.hpp"

#include <functional>
#include <map>
#include <string>

namespace kith::config {

class WarehouseCredentials {
public:
    //! Reads every entry: a value file's text (trailing white space dropped), a key file's path (checked readable),
    //! a variable's value. A missing or empty file or variable is ErrorCode::USAGE at the entry's file:line:col.
    static Result<WarehouseCredentials> Read(const Config& config);
    WarehouseCredentials() = default;
    WarehouseCredentials(WarehouseCredentials&&) = default;
    WarehouseCredentials& operator=(WarehouseCredentials&&) = default;
    //! Overwrites the values it holds.
    ~WarehouseCredentials();

    //! A variable's value as the driver should see it, or nullptr when unset.
    const char* Get(const char* name) const;
    //! Get as the drivers' getenv function; it refers to this object, which must outlive its use.
    std::function<const char*(const char*)> Getenv() const;

private:
    std::map<std::string, std::string> values_;
};

} // namespace kith::config
