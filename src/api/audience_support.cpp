#include "api/audience_support.hpp"

#include "engine/engine.hpp"

#include <fmt/format.h>

namespace kith::api {

using nlohmann::json;

Result<std::optional<audience::Library::Entry>> StoreLibrary::Load(const std::string& key) {
    auto a = store_.GetAudience(workspace_, key);
    if (!a) return std::unexpected(a.error());
    if (!*a) return std::nullopt;
    return Entry{store::CanonicalJson((*a)->spec.definition), "audience " + key};
}

ApiError ProblemsError(const std::vector<audience::AudienceError>& problems) {
    ApiError e{422, "invalid", problems.empty() ? "invalid" : problems.front().message,
               problems.empty() ? "" : problems.front().pointer};
    if (problems.size() > 1) e.message = fmt::format("{} (and {} more problem(s))", e.message, problems.size() - 1);
    for (const auto& p : problems) e.errors.push_back({{"pointer", p.pointer}, {"message", p.message}});
    return e;
}

std::expected<audience::Audience, ApiError> ParseDefinition(const json& definition, const graph::DataGraph& graph,
                                                            audience::Catalog& catalog, store::Store& store,
                                                            int64_t workspace, const std::string& pointer) {
    if (!definition.is_object()) {
        return std::unexpected(Malformed("the definition must be an object ({\"groups\": [...]})", pointer));
    }
    StoreLibrary library(store, workspace);
    audience::ParseContext pc{graph, &catalog, &library};
    const std::string file = "request";
    auto parsed = audience::ParseAudience(store::CanonicalJson(definition), file, pc);
    if (parsed) return std::move(*parsed);
    if (parsed.error().fatal) return std::unexpected(FromError(*parsed.error().fatal));
    std::vector<audience::AudienceError> problems;
    for (auto p : parsed.error().errors) {
        // Problems inside this definition point into the body; those of a referenced audience name it.
        if (p.file == file) {
            p.pointer = pointer + p.pointer;
        } else {
            p.message = p.file + p.pointer + ": " + p.message;
            p.pointer = pointer;
        }
        problems.push_back(std::move(p));
    }
    return std::unexpected(ProblemsError(problems));
}

std::expected<int64_t, ApiError> AsOf(const json& body) {
    std::string text;
    if (body.is_object() && body.contains("as_of") && !body["as_of"].is_null()) {
        if (!body["as_of"].is_string()) return std::unexpected(Malformed("\"as_of\" must be an ISO 8601 string", "/as_of"));
        text = body["as_of"].get<std::string>();
    }
    auto t = engine::ParseAsOf(text);
    if (!t) return std::unexpected(Invalid(t.error().message, "/as_of"));
    return *t;
}

} // namespace kith::api
