// What "send test event" and the payload preview build from the fixture warehouse (test/fixture) for a profile of an
// audience whose activations never ran: two audiences, an activation with a profile trigger and one with an entity
// trigger (webhooks), and the events expected for userId u1 (profile p1) as of kEventsAsOf. The API and the CLI
// suites check them on DuckDB and PostgreSQL. Users of this header link kith::run (the messageIds).
#pragma once

#include "run/events.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace kith::test {

inline constexpr const char* kEventsAsOf = "2026-01-01T00:00:00Z";

//! Profiles with an active account: p1 (account 1), p2 (3), p3 (4), p7 (7).
inline nlohmann::json ActiveAccountsDefinition() {
    return nlohmann::json::parse(R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
        "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]}}]}]})");
}

//! Profiles with an active account holding a cart over 40 with a product: p1 (account 1, carts 10 and 11, products
//! sku-1 and sku-2 in cart 10, sku-3 in cart 11), p2 (account 3, cart 13).
inline nlohmann::json CartsDefinition() {
    return nlohmann::json::parse(R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
        "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
        "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
            "where": {"filters": [{"column": "TOTAL", "op": "greater_than", "value": 40}]},
            "children": {"conditions": [{"type": "entity", "relationship": "cart-products"}]}}]}}]}]})");
}

//! Profile enters, to a webhook: userId from user_id, context.traits.email from email, the trait plan.
inline nlohmann::json AccountsActivation(const std::string& key, const std::string& audience, const std::string& url) {
    return {{"key", key},
            {"audience", audience},
            {"destination", {{"type", "webhook"}, {"url", url}}},
            {"trigger", "profile_enters"},
            {"identifiers", nlohmann::json::parse(R"([{"type": "user_id", "as": "userId"},
                                                      {"type": "email", "as": "context.traits.email"}])")},
            {"enrichment", {{"traits", {"plan"}}}},
            {"enabled", true}};
}

//! Entity enters on account-carts, to a webhook: the cart's TOTAL and STATUS, its products' NAME, the trait plan.
inline nlohmann::json CartsActivation(const std::string& key, const std::string& audience, const std::string& url) {
    return {{"key", key},
            {"audience", audience},
            {"destination", {{"type", "webhook"}, {"url", url}}},
            {"trigger", "entity_enters"},
            {"entity", "account-carts"},
            {"identifiers", nlohmann::json::parse(R"([{"type": "user_id", "as": "userId"}])")},
            {"enrichment", nlohmann::json::parse(R"({"traits": ["plan"],
                "entities": {"account-carts": ["TOTAL", "STATUS"], "cart-products": ["NAME"]}})")},
            {"enabled", true}};
}

inline nlohmann::json Personas(int64_t audience_id, const std::string& audience, const std::string& activation) {
    return {{"computation_class", "audience"},
            {"computation_id", std::to_string(audience_id)},
            {"computation_key", audience},
            {"computation_run_id", "0"},
            {"event_emitter_id", activation}};
}

//! AccountsActivation's event for u1 before its first run: p1 entered; its email is the bytewise smallest of two,
//! its plan the latest value (seq 2), and it matched account 1.
inline nlohmann::json ExpectedAccountsEvent(int64_t audience_id, const std::string& audience, int64_t activation_id,
                                            const std::string& activation) {
    std::string id = run::MessageId(activation_id, "backfill", run::Change{"entered", "p1", "", ""}, false);
    return {{"type", "track"},
            {"event", "Audience Entered"},
            {"messageId", id},
            {"timestamp", "2026-01-01T00:00:00.000Z"},
            {"userId", "u1"},
            {"properties",
             {{"audience_key", audience}, {"plan", "pro"}, {"data_graph_entity_context", {{"user-accounts", {1}}}}}},
            {"context",
             {{"traits", {{"email", "ada@work.com"}}}, {"personas", Personas(audience_id, audience, activation)}}}};
}

//! CartsActivation's event for u1 before its first run: p1's first matched cart (10, open, 150) with its products
//! once each (sku-2 is in it twice), and every entity p1 matched.
inline nlohmann::json ExpectedCartsEvent(int64_t audience_id, const std::string& audience, int64_t activation_id,
                                         const std::string& activation) {
    std::string id =
        run::MessageId(activation_id, "backfill", run::Change{"entered", "p1", "account-carts", "10"}, true);
    nlohmann::json products = nlohmann::json::parse(R"([{"SKU": "sku-1", "NAME": "Lamp", "__entity": "product"},
                                                        {"SKU": "sku-2", "NAME": "Desk", "__entity": "product"}])");
    return {{"type", "track"},
            {"event", "Entity Entered"},
            {"messageId", id},
            {"timestamp", "2026-01-01T00:00:00.000Z"},
            {"userId", "u1"},
            {"properties",
             {{"audience_key", audience},
              {"plan", "pro"},
              {"account_carts__ID", 10},
              {"account_carts__TOTAL", 150},
              {"account_carts__STATUS", "open"},
              {"account_carts__cart_products", products},
              {"__entity", "cart"},
              {"data_graph_entity_context",
               {{"account-carts", {10, 11}}, {"cart-products", {"sku-1", "sku-2", "sku-3"}}, {"user-accounts", {1}}}}}},
            {"context", {{"personas", Personas(audience_id, audience, activation)}}}};
}

} // namespace kith::test
