// Datasets loaded into a warehouse shared by the whole suite (the Spark stand-in): copying into Spark takes seconds
// per table, so a dataset (the golden fixture, one agreement seed's warehouse) is copied only when the warehouse
// holds another one. A marker table (kith_test_dataset.current) names the dataset loaded. Tests that load datasets
// into a shared warehouse run one at a time (ctest RESOURCE_LOCK), so nothing changes under a test.
//
//   auto duck = warehouse::Open("duckdb::memory:");  (*duck)->Execute(fixture_sql);
//   auto ok = test::LoadFixtureDataset(*spark, **duck, fixture_sql);
#pragma once

#include "common/error.hpp"
#include "warehouse/warehouse.hpp"

#include <string>

namespace kith::test {

//! Copies every table of `source` into `target` (warehouse::CopySchemas) unless `target` already holds `dataset`.
Status LoadDataset(warehouse::Warehouse& target, warehouse::Warehouse& source, const std::string& dataset);

//! LoadDataset of the golden fixture (test/fixture/warehouse.sql), made in `source` from `fixture_sql`: one dataset
//! name for every suite that reads the fixture, so that they share one copy.
Status LoadFixtureDataset(warehouse::Warehouse& target, warehouse::Warehouse& source, const std::string& fixture_sql);

//! Forgets which dataset `target` holds (its tables were changed): the next LoadDataset copies again.
Status ForgetDataset(warehouse::Warehouse& target);

//! A short fingerprint of a text (hex of a 64-bit FNV-1a hash): names a dataset after the SQL that made it.
std::string Fingerprint(const std::string& text);

} // namespace kith::test
