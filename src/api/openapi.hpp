// The API's OpenAPI 3.1 document (src/api/openapi.json, compiled in), served at GET /api/v1/openapi.json. Every
// operation carries `x-kith-permissions`, the permissions its route requires; openapi_test checks that the document
// and the route table (router.hpp) list the same operations with the same permissions.
#pragma once

#include <nlohmann/json.hpp>

namespace kith::api {

const nlohmann::json& OpenApiDocument();

} // namespace kith::api
