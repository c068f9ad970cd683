// The OpenAPI document (src/api/openapi.json, compiled in and served at GET /api/v1/openapi.json) against the route
// table (api::AddAllRoutes): the same operations, the same permissions, declared path parameters, unique
// operationIds, references that resolve, and the error answers every operation can give. Each check returns the
// problems it finds; the CatchesMistakes tests break a copy of the document on purpose to show every check can fail.
#include "api/openapi.hpp"
#include "api/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace kith::api {
namespace {

using nlohmann::json;
using Problems = std::vector<std::string>;

const std::vector<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"};

std::string Join(const Problems& problems) {
    std::string out;
    for (const auto& p : problems) out += "\n  " + p;
    return out;
}

const Routes& TheRoutes() {
    static const Routes routes = [] {
        Routes r;
        AddAllRoutes(r);
        return r;
    }();
    return routes;
}

struct OperationRef {
    std::string method; //!< "GET"
    std::string path;
    const json* path_item;
    const json* operation;
    std::string Name() const { return method + " " + path; }
};

std::vector<OperationRef> Operations(const json& doc) {
    std::vector<OperationRef> out;
    if (!doc.contains("paths") || !doc["paths"].is_object()) return out;
    for (const auto& [path, item] : doc["paths"].items()) {
        if (!item.is_object()) continue;
        for (const auto& [key, op] : item.items()) {
            if (std::find(kMethods.begin(), kMethods.end(), key) == kMethods.end()) continue;
            std::string method = key;
            for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            out.push_back({method, path, &item, &op});
        }
    }
    return out;
}

//! The value a local reference ("#/components/schemas/User") points at, or nullptr.
const json* Resolve(const json& doc, const std::string& ref) {
    if (!ref.starts_with("#")) return nullptr;
    try {
        json::json_pointer ptr(ref.substr(1));
        if (!doc.contains(ptr)) return nullptr;
        return &doc.at(ptr);
    } catch (const json::exception&) {
        return nullptr;
    }
}

//! A parameter or response object with its reference followed.
const json& Follow(const json& doc, const json& value) {
    const json* v = &value;
    for (int depth = 0; depth < 10 && v->is_object() && v->contains("$ref") && (*v)["$ref"].is_string(); ++depth) {
        const json* target = Resolve(doc, (*v)["$ref"].get<std::string>());
        if (!target) break;
        v = target;
    }
    return *v;
}

std::string RouteName(const Route& r) { return r.method + " " + r.path; }

const Route* FindRoute(const std::string& method, const std::string& path) {
    for (const auto& r : TheRoutes().all()) {
        if (r.method == method && r.path == path) return &r;
    }
    return nullptr;
}

// --- the checks

Problems CheckVersion(const json& doc) {
    if (!doc.is_object() || !doc.contains("openapi") || !doc["openapi"].is_string()) return {"no \"openapi\" version"};
    std::string v = doc["openapi"].get<std::string>();
    if (!v.starts_with("3.1")) return {"\"openapi\" is " + v + ", not 3.1.x"};
    return {};
}

//! The document's operations are exactly the table's routes.
Problems CheckSameRoutes(const json& doc) {
    std::set<std::string> documented, routed;
    for (const auto& op : Operations(doc)) documented.insert(op.Name());
    for (const auto& r : TheRoutes().all()) routed.insert(RouteName(r));
    Problems out;
    for (const auto& r : routed) {
        if (!documented.count(r)) out.push_back("missing from the document: " + r);
    }
    for (const auto& d : documented) {
        if (!routed.count(d)) out.push_back("documented but not a route: " + d);
    }
    return out;
}

//! x-kith-permissions is exactly the route's permissions, in the table's order.
Problems CheckPermissions(const json& doc) {
    Problems out;
    for (const auto& op : Operations(doc)) {
        const Route* route = FindRoute(op.method, op.path);
        if (!route) continue; // CheckSameRoutes reports it
        json want = json::array();
        for (Permission p : route->permissions) want.push_back(std::string(PermissionName(p)));
        if (!op.operation->contains("x-kith-permissions")) {
            out.push_back(op.Name() + ": no x-kith-permissions (want " + want.dump() + ")");
        } else if ((*op.operation)["x-kith-permissions"] != want) {
            out.push_back(op.Name() + ": x-kith-permissions is " + (*op.operation)["x-kith-permissions"].dump() +
                          ", the route needs " + want.dump());
        }
    }
    return out;
}

//! Public routes have "security": [], the others a non-empty security requirement.
Problems CheckSecurity(const json& doc) {
    Problems out;
    for (const auto& op : Operations(doc)) {
        const Route* route = FindRoute(op.method, op.path);
        if (!route) continue;
        bool has = op.operation->contains("security");
        const json security = has ? (*op.operation)["security"] : doc.value("security", json::array());
        if (route->permissions.empty() && !(has && security == json::array())) {
            out.push_back(op.Name() + ": a public route must say \"security\": []");
        }
        if (!route->permissions.empty() && (!security.is_array() || security.empty())) {
            out.push_back(op.Name() + ": an authenticated route needs a security requirement");
        }
    }
    return out;
}

//! Every {param} of a path is declared "in": "path", "required": true, and no other path parameter is.
Problems CheckPathParameters(const json& doc) {
    Problems out;
    static const std::regex param(R"(\{([^}]+)\})");
    for (const auto& op : Operations(doc)) {
        std::set<std::string> in_path;
        for (std::sregex_iterator it(op.path.begin(), op.path.end(), param), end; it != end; ++it) {
            in_path.insert((*it)[1].str());
        }
        std::set<std::string> declared;
        for (const json* list : {op.path_item, op.operation}) {
            if (!list->contains("parameters")) continue;
            for (const auto& p : (*list)["parameters"]) {
                const json& param_obj = Follow(doc, p);
                if (param_obj.value("in", "") != "path") continue;
                std::string name = param_obj.value("name", "");
                declared.insert(name);
                if (param_obj.value("required", false) != true) {
                    out.push_back(op.Name() + ": path parameter {" + name + "} must be required");
                }
            }
        }
        for (const auto& n : in_path) {
            if (!declared.count(n)) out.push_back(op.Name() + ": {" + n + "} is not declared as a path parameter");
        }
        for (const auto& n : declared) {
            if (!in_path.count(n)) out.push_back(op.Name() + ": path parameter " + n + " is not in the path");
        }
    }
    return out;
}

//! operationIds are present, camelCase and unique.
Problems CheckOperationIds(const json& doc) {
    Problems out;
    std::map<std::string, std::string> seen;
    static const std::regex camel("^[a-z][A-Za-z0-9]*$");
    for (const auto& op : Operations(doc)) {
        if (!op.operation->contains("operationId") || !(*op.operation)["operationId"].is_string()) {
            out.push_back(op.Name() + ": no operationId");
            continue;
        }
        std::string id = (*op.operation)["operationId"].get<std::string>();
        if (!std::regex_match(id, camel)) out.push_back(op.Name() + ": operationId " + id + " is not camelCase");
        auto [it, fresh] = seen.emplace(id, op.Name());
        if (!fresh) out.push_back("operationId " + id + " is used by " + it->second + " and " + op.Name());
    }
    return out;
}

void CollectRefs(const json& doc, const json& value, const std::string& where, Problems& out) {
    if (value.is_object()) {
        for (const auto& [k, v] : value.items()) {
            std::string here = where + "/" + k;
            if (k == "$ref" && v.is_string()) {
                if (!Resolve(doc, v.get<std::string>())) {
                    out.push_back(where + ": $ref " + v.get<std::string>() + " does not resolve inside the document");
                }
            } else {
                CollectRefs(doc, v, here, out);
            }
        }
    } else if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) CollectRefs(doc, value[i], where + "/" + std::to_string(i), out);
    }
}

//! Every "$ref" of the document resolves inside it.
Problems CheckRefs(const json& doc) {
    Problems out;
    CollectRefs(doc, doc, "", out);
    return out;
}

//! Authenticated operations document 401 and 403; operations with a body document 400 and 413; every operation
//! documents a success.
Problems CheckResponses(const json& doc) {
    Problems out;
    for (const auto& op : Operations(doc)) {
        if (!op.operation->contains("responses") || !(*op.operation)["responses"].is_object()) {
            out.push_back(op.Name() + ": no responses");
            continue;
        }
        const json& rs = (*op.operation)["responses"];
        auto has = [&](const char* status) { return rs.contains(status); };
        const Route* route = FindRoute(op.method, op.path);
        if (route && !route->permissions.empty()) {
            if (!has("401")) out.push_back(op.Name() + ": an authenticated operation must document 401");
            if (!has("403")) out.push_back(op.Name() + ": an authenticated operation must document 403");
        }
        if (op.operation->contains("requestBody")) {
            if (!has("400")) out.push_back(op.Name() + ": an operation with a body must document 400");
            if (!has("413")) out.push_back(op.Name() + ": an operation with a body must document 413");
        }
        bool success = false;
        for (const auto& [status, r] : rs.items()) success = success || status.starts_with("2");
        if (!success) out.push_back(op.Name() + ": no success response");
        for (const auto& [status, r] : rs.items()) {
            if (!Follow(doc, r).contains("description")) out.push_back(op.Name() + " " + status + ": no description");
        }
    }
    return out;
}

//! Each operation has one of the API's tags and a summary.
Problems CheckTags(const json& doc) {
    static const std::set<std::string> tags = {"auth",   "graph",         "audiences", "previews", "activations",
                                               "runs",   "overview",      "alerts",    "notifications",
                                               "users",  "tokens",        "service",   "demo"};
    Problems out;
    for (const auto& op : Operations(doc)) {
        const json& t = op.operation->value("tags", json::array());
        if (t.size() != 1 || !t[0].is_string() || !tags.count(t[0].get<std::string>())) {
            out.push_back(op.Name() + ": tags " + t.dump() + " is not one known tag");
        }
        if (!op.operation->contains("summary")) out.push_back(op.Name() + ": no summary");
    }
    return out;
}

bool Mentions(const Problems& problems, const std::string& text) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

// --- the document as it is

TEST(OpenApi, ParsesAndIsVersion31) {
    const json& doc = OpenApiDocument();
    ASSERT_TRUE(doc.is_object());
    auto problems = CheckVersion(doc);
    EXPECT_TRUE(problems.empty()) << Join(problems);
    // The compiled document is the source file's (a stale build would serve another).
    std::ifstream in(std::string(KITH_SOURCE_DIR) + "/src/api/openapi.json");
    ASSERT_TRUE(in) << "cannot read src/api/openapi.json";
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(json::parse(text.str()), doc) << "rebuild: the compiled document differs from src/api/openapi.json";
    EXPECT_EQ(doc["servers"], json::parse(R"([{"url": "/"}])"));
    const json& schemes = doc["components"]["securitySchemes"];
    EXPECT_EQ(schemes["cookieAuth"]["type"], "apiKey");
    EXPECT_EQ(schemes["cookieAuth"]["in"], "cookie");
    EXPECT_EQ(schemes["cookieAuth"]["name"], "kith_session");
    EXPECT_EQ(schemes["bearerAuth"]["type"], "http");
    EXPECT_EQ(schemes["bearerAuth"]["scheme"], "bearer");
}

TEST(OpenApi, ListsExactlyTheRoutes) {
    auto problems = CheckSameRoutes(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
    EXPECT_EQ(Operations(OpenApiDocument()).size(), TheRoutes().all().size());
}

TEST(OpenApi, PermissionsAreTheRoutes) {
    auto problems = CheckPermissions(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(OpenApi, SecurityMatchesPublicRoutes) {
    auto problems = CheckSecurity(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(OpenApi, PathParametersAreDeclared) {
    auto problems = CheckPathParameters(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(OpenApi, OperationIdsAreUnique) {
    auto problems = CheckOperationIds(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(OpenApi, ReferencesResolve) {
    auto problems = CheckRefs(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(OpenApi, ErrorAnswersAreDocumented) {
    auto problems = CheckResponses(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(OpenApi, TagsAndSummaries) {
    auto problems = CheckTags(OpenApiDocument());
    EXPECT_TRUE(problems.empty()) << Join(problems);
}

// --- every check fails on a broken copy

TEST(OpenApiCatchesMistakes, WrongVersion) {
    json doc = OpenApiDocument();
    doc["openapi"] = "3.0.3";
    EXPECT_TRUE(Mentions(CheckVersion(doc), "not 3.1"));
}

TEST(OpenApiCatchesMistakes, MissingAndExtraRoutes) {
    json doc = OpenApiDocument();
    doc["paths"]["/api/v1/audiences/{key}"].erase("get");
    doc["paths"]["/api/v1/nowhere"]["get"] = {{"operationId", "nowhere"}};
    auto problems = CheckSameRoutes(doc);
    EXPECT_TRUE(Mentions(problems, "missing from the document: GET /api/v1/audiences/{key}")) << Join(problems);
    EXPECT_TRUE(Mentions(problems, "documented but not a route: GET /api/v1/nowhere")) << Join(problems);
}

TEST(OpenApiCatchesMistakes, WrongPermissions) {
    json doc = OpenApiDocument();
    doc["paths"]["/api/v1/previews"]["post"]["x-kith-permissions"] = {"view_entities", "view_profiles"}; // order
    doc["paths"]["/api/v1/users"]["get"].erase("x-kith-permissions");
    auto problems = CheckPermissions(doc);
    EXPECT_TRUE(Mentions(problems, "POST /api/v1/previews: x-kith-permissions")) << Join(problems);
    EXPECT_TRUE(Mentions(problems, "GET /api/v1/users: no x-kith-permissions")) << Join(problems);
}

TEST(OpenApiCatchesMistakes, WrongSecurity) {
    json doc = OpenApiDocument();
    doc["paths"]["/healthz"]["get"].erase("security"); // inherits the document's
    doc["paths"]["/api/v1/me"]["get"]["security"] = json::array();
    auto problems = CheckSecurity(doc);
    EXPECT_TRUE(Mentions(problems, "GET /healthz: a public route")) << Join(problems);
    EXPECT_TRUE(Mentions(problems, "GET /api/v1/me: an authenticated route")) << Join(problems);
}

TEST(OpenApiCatchesMistakes, UndeclaredAndStrayPathParameters) {
    json doc = OpenApiDocument();
    json& get = doc["paths"]["/api/v1/runs/{id}"]["get"];
    get["parameters"] = json::array();
    json& del = doc["paths"]["/api/v1/tokens/{id}"]["delete"];
    del["parameters"].push_back({{"name", "other"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    json& put = doc["paths"]["/api/v1/users/{id}"]["put"];
    for (auto& p : put["parameters"]) {
        if (p.value("in", "") == "path") p["required"] = false;
    }
    auto problems = CheckPathParameters(doc);
    EXPECT_TRUE(Mentions(problems, "GET /api/v1/runs/{id}: {id} is not declared")) << Join(problems);
    EXPECT_TRUE(Mentions(problems, "DELETE /api/v1/tokens/{id}: path parameter other is not in the path"))
        << Join(problems);
    EXPECT_TRUE(Mentions(problems, "PUT /api/v1/users/{id}: path parameter {id} must be required")) << Join(problems);
}

TEST(OpenApiCatchesMistakes, DuplicateOrBadOperationIds) {
    json doc = OpenApiDocument();
    doc["paths"]["/api/v1/users"]["post"]["operationId"] = "listUsers";
    doc["paths"]["/api/v1/roles"]["get"]["operationId"] = "list_roles";
    doc["paths"]["/api/v1/me"]["get"].erase("operationId");
    auto problems = CheckOperationIds(doc);
    EXPECT_TRUE(Mentions(problems, "operationId listUsers is used by")) << Join(problems);
    EXPECT_TRUE(Mentions(problems, "list_roles is not camelCase")) << Join(problems);
    EXPECT_TRUE(Mentions(problems, "GET /api/v1/me: no operationId")) << Join(problems);
}

TEST(OpenApiCatchesMistakes, DanglingReferences) {
    json doc = OpenApiDocument();
    doc["components"]["schemas"].erase("Run");
    doc["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] =
        "other.json#/Me";
    auto problems = CheckRefs(doc);
    EXPECT_TRUE(Mentions(problems, "#/components/schemas/Run does not resolve")) << Join(problems);
    EXPECT_TRUE(Mentions(problems, "other.json#/Me does not resolve")) << Join(problems);
}

TEST(OpenApiCatchesMistakes, MissingErrorAnswers) {
    json doc = OpenApiDocument();
    doc["paths"]["/api/v1/audiences"]["get"]["responses"].erase("401");
    doc["paths"]["/api/v1/tokens"]["get"]["responses"].erase("403");
    doc["paths"]["/api/v1/alerts"]["post"]["responses"].erase("400");
    doc["paths"]["/api/v1/tokens"]["post"]["responses"].erase("413");
    doc["paths"]["/api/v1/roles"]["get"]["responses"].erase("200");
    auto problems = CheckResponses(doc);
    EXPECT_TRUE(Mentions(problems, "GET /api/v1/audiences: an authenticated operation must document 401"))
        << Join(problems);
    EXPECT_TRUE(Mentions(problems, "GET /api/v1/tokens: an authenticated operation must document 403"))
        << Join(problems);
    EXPECT_TRUE(Mentions(problems, "POST /api/v1/alerts: an operation with a body must document 400"))
        << Join(problems);
    EXPECT_TRUE(Mentions(problems, "POST /api/v1/tokens: an operation with a body must document 413"))
        << Join(problems);
    EXPECT_TRUE(Mentions(problems, "GET /api/v1/roles: no success response")) << Join(problems);
}

TEST(OpenApiCatchesMistakes, UnknownTag) {
    json doc = OpenApiDocument();
    doc["paths"]["/metrics"]["get"]["tags"] = {"monitoring"};
    EXPECT_TRUE(Mentions(CheckTags(doc), "GET /metrics: tags"));
}

} // namespace
} // namespace kith::api
