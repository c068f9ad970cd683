// The text of warehouse URIs and of the URLs the REST drivers build: percent-decoding and -encoding, a URI's query
// parameters, its path segments and its endpoint= parameter. Shared by the Spark/Databricks, Snowflake and BigQuery
// drivers so that every URI reads the same way.
//
//   std::string rest = "acct/DB/S?warehouse=WH&Role=R";  // what follows "snowflake://"
//   auto query = TakeQuery(rest, {.lower_keys = true});  // {"role": "R", "warehouse": "WH"}; rest is "acct/DB/S"
//   auto parts = PathSegments("DB/S");                   // {"DB", "S"}
//   std::string url = base + "/jobs/" + PercentEncode(job_id);
#pragma once

#include "common/error.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kith::warehouse {

//! How '+' decodes: as itself (RFC 3986), or as a space (HTML forms, which Snowflake's own drivers follow).
enum class Plus { LITERAL, SPACE };

//! s with each "%XX" (two hex digits) replaced by its byte; a '%' without two hex digits after it stays.
std::string PercentDecode(std::string_view s, Plus plus = Plus::LITERAL);

//! s with every byte but RFC 3986's unreserved characters (letters, digits, - _ . ~) as "%XX" (upper-case hex): a
//! path segment, a query value or a form field.
std::string PercentEncode(std::string_view s);

//! How TakeQuery reads the parameters.
struct QueryDecoding {
    Plus plus = Plus::LITERAL;
    bool lower_keys = false; //!< keys in lower case (ASCII), so that Warehouse=WH is warehouse=WH
};

//! The parameters after the first '?' of rest ("k=v&k2=v2"), keys and values percent-decoded; rest keeps what
//! precedes the '?'. A parameter without '=' has the value ""; an empty key is dropped; of a repeated key the last
//! value counts.
std::map<std::string, std::string> TakeQuery(std::string& rest, QueryDecoding decoding = {});

//! The non-empty '/'-separated segments of path, percent-decoded: "a//b%20c/" -> {"a", "b c"}.
std::vector<std::string> PathSegments(std::string_view path, Plus plus = Plus::LITERAL);

//! The endpoint= parameter of query (a base URL that replaces the engine's own) without trailing '/', or "" when
//! absent; ErrorCode::USAGE, located `location`, when it is not an http:// or https:// URL.
Result<std::string> EndpointParam(const std::map<std::string, std::string>& query, const std::string& location);

} // namespace kith::warehouse
