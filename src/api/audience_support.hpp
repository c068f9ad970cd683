// What the audience and preview routes share: parsing a definition against the current graph, the warehouse's
// column types and the stored audiences, with problems as API errors pointing into the request body.
#pragma once

#include "api/router.hpp"
#include "audience/catalog.hpp"
#include "audience/model.hpp"
#include "audience/parser.hpp"

#include <nlohmann/json.hpp>
#include <string>

namespace kith::api {

//! Audiences of the state store, for `audience` conditions.
class StoreLibrary final : public audience::Library {
public:
    StoreLibrary(store::Store& store, int64_t workspace) : store_(store), workspace_(workspace) {}
    Result<std::optional<Entry>> Load(const std::string& key) override;

private:
    store::Store& store_;
    int64_t workspace_;
};

//! Parses an audience definition; problems are 422 with pointers prefixed by `pointer` ("/definition").
std::expected<audience::Audience, ApiError> ParseDefinition(const nlohmann::json& definition,
                                                            const graph::DataGraph& graph,
                                                            audience::Catalog& catalog, store::Store& store,
                                                            int64_t workspace, const std::string& pointer);

//! Turns apply's problems into one 422 error; `prefix` is removed from nothing and pointers are kept.
ApiError ProblemsError(const std::vector<audience::AudienceError>& problems);

//! The evaluation time of a request: body "as_of" (ISO 8601) or now; 422 at /as_of when malformed.
std::expected<int64_t, ApiError> AsOf(const nlohmann::json& body);

} // namespace kith::api
