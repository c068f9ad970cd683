// The HTTP destination types, one file each (the webhook in http_destinations.cpp, braze.cpp, iterable.cpp,
// segment.cpp), and what their builders share. Internal to deliver: MakeHttpDestination picks the builder.
#pragma once

#include "deliver/http_destinations.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace kith::deliver::http_types {

//! What every HTTP destination is built from besides its own settings.
struct Parts {
    HttpDestination::Limits limits; //!< concurrency set; batch_size is the builder's to choose
    Mapper mapper;
    HttpClient::Options http;
    //! The largest batch the activation's mapping allows: 1 when its `enable_batching` is the constant false, its
    //! `batch_size` when that is a constant number (Segment's fields); 0 when it does not say.
    size_t mapping_batch_limit = 0;
    //! The activation's mapping (null: the action's defaults), for settings Segment keeps in it as constants
    //! (Iterable's updateOnly).
    nlohmann::json mapping;
};

//! The string setting `key`, or fallback.
std::string StringSetting(const nlohmann::json& settings, const char* key, std::string fallback = {});
//! The integer setting `key`, or fallback.
int64_t IntSetting(const nlohmann::json& settings, const char* key, int64_t fallback);
//! The events per request: the setting `batch_size` (fallback when absent) within 1..max, and within the mapping's
//! limit.
size_t BatchSize(const nlohmann::json& settings, const Parts& parts, int64_t fallback, int64_t max);
//! Fails unless url is an http:// or https:// URL, naming the setting.
Status NeedUrl(const std::string& type, const char* key, const std::string& url);
//! The non-empty string setting `key`, or an error naming it.
Result<std::string> NeedString(const std::string& type, const nlohmann::json& settings, const char* key);
//! url without its trailing slashes.
std::string TrimSlash(std::string url);
//! Compact JSON text; invalid UTF-8 replaced.
std::string Dump(const nlohmann::json& j);

//! Iterable's API: base_url, else the dataCenterLocation's (api.iterable.com, api.eu.iterable.com).
std::string IterableBase(const nlohmann::json& settings);
//! Segment's tracking API: base_url, else the region's (api.segment.io, events.eu1.segmentapis.com).
std::string SegmentBase(const nlohmann::json& settings);

Result<std::unique_ptr<Destination>> MakeBraze(const nlohmann::json& settings, const std::string& action, Parts parts);
Result<std::unique_ptr<Destination>> MakeIterable(const nlohmann::json& settings, const std::string& action,
                                                  Parts parts);
Result<std::unique_ptr<Destination>> MakeSegment(const nlohmann::json& settings, const std::string& action,
                                                 Parts parts);

} // namespace kith::deliver::http_types
