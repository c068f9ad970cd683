// The SQL that builds the generated warehouse inside DuckDB.
//
// Every value is a pure function of (seed, row key, salt): kg_h() hashes the
// three, kg_u() turns the hash into a uniform number in [0, 1) and kg_ui()
// into a uniform integer. A table is one CREATE TABLE ... AS SELECT over the
// number table kg_numbers (a scan of a table runs in parallel; range() does
// not), so no row is built in C++ and the result does not depend on the number
// of threads. Profile attributes (ids, emails, merges, ...) are macros of the
// profile index, so an event or an account computes its owner's identifiers
// without a join. Each table uses its own salts (the hundreds digit names the
// table) so that tables are independent of each other.
#include "gen/internal.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace kith::gen {

Sizes SizesFor(int64_t profiles) {
    Sizes z;
    int64_t n = std::max<int64_t>(profiles, 1);
    z.profiles = n;
    z.accounts = n;
    z.carts = 2 * n;
    z.cart_products = 3 * n;
    z.products = std::max<int64_t>(200, n / 50);
    z.brands = std::max<int64_t>(20, z.products / 100);
    z.households = std::max<int64_t>(1, n * 35 / 100);
    z.subscriptions = std::max<int64_t>(1, n / 2);
    z.cards = std::max<int64_t>(1, n * 6 / 10);
    z.transactions = 2 * n;
    z.order_completed = n;
    z.product_viewed = std::max<int64_t>(1, n * 25 / 10);
    z.page_viewed = 3 * n;
    z.cart_abandoned = std::max<int64_t>(1, n * 8 / 10);
    z.numbers = std::max({z.profiles, z.accounts, z.carts, z.cart_products, z.products, z.brands, z.households,
                          z.subscriptions, z.cards, z.transactions, z.order_completed, z.product_viewed, z.page_viewed,
                          z.cart_abandoned});
    return z;
}

namespace {

// Macros that depend only on other macros; the seed and the sizes are defined before them.
constexpr const char* kMacros = R"SQL(
CREATE TEMP MACRO kg_u(i, s) AS (kg_h(i, s) >> 11)::DOUBLE / 9007199254740992.0;
CREATE TEMP MACRO kg_ui(i, s, n) AS (kg_h(i, s) % greatest((n), 1)::UBIGINT)::BIGINT;
CREATE TEMP MACRO kg_pick(list, i, s) AS (list)[1 + kg_ui(i, s, len(list))];
-- A tag unique per (x, ns) for 0 <= x < 2^38 and ns < 4, in hex: 24 pseudo-random bits, the 2 bits of ns and a
-- bijective scramble of the 38 bits of x.
CREATE TEMP MACRO kg_mix_a(y) AS xor((y), (y) >> 19);
CREATE TEMP MACRO kg_mix_b(y) AS ((y) * 10368889::UBIGINT) & 274877906943::UBIGINT;
CREATE TEMP MACRO kg_scramble(x, s) AS
    kg_mix_a(kg_mix_b(kg_mix_a(kg_mix_b(xor((x)::UBIGINT, kg_h(-1, s) & 274877906943::UBIGINT)))));
CREATE TEMP MACRO kg_tag(x, s, ns) AS
    lower(to_hex(((kg_h(x, s) >> 40) << 40) | ((ns)::UBIGINT << 38) | kg_scramble(x, s)));
CREATE TEMP MACRO kg_money(i, s, lo, hi) AS round((lo) + kg_u(i, s) * ((hi) - (lo)), 2);

-- Time: everything is anchored to one fixed instant; events reach 5 days past it.
CREATE TEMP MACRO kg_anchor() AS TIMESTAMP '2026-01-01 00:00:00';
CREATE TEMP MACRO kg_ts_before(i, s, days) AS kg_anchor() - to_seconds(kg_ui(i, s, (days) * 86400));
CREATE TEMP MACRO kg_date_before(i, s, days) AS CAST(kg_anchor() AS DATE) - kg_ui(i, s, days)::INTEGER;

-- Profiles: everything about profile i.
-- Segment ids: canonical, merged-away and unknown ids are tags in three namespaces.
CREATE TEMP MACRO kg_pid(i) AS 'sgid_' || kg_tag(i, 1, 0);
CREATE TEMP MACRO kg_has_user_id(i) AS kg_u(i, 2) >= 0.03;
CREATE TEMP MACRO kg_user_id(i) AS 'usr_' || kg_tag(i, 3, 0);
CREATE TEMP MACRO kg_email_count(i) AS
    CASE WHEN kg_u(i, 4) < 0.04 THEN 0 WHEN kg_u(i, 4) < 0.84 THEN 1 WHEN kg_u(i, 4) < 0.98 THEN 2 ELSE 3 END;
CREATE TEMP MACRO kg_first_names() AS
    ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Barbara', 'Edsger', 'Donald', 'Frances', 'Ken', 'Dennis', 'Bjarne',
     'Guido', 'Hedy', 'Katherine', 'Tim', 'Radia', 'Niklaus', 'Sophie', 'Yukihiro', 'Anita', 'John', 'Mary', 'Lucía',
     'Zoë', 'José', 'Chloé', 'Søren', 'Mei', 'Arjun', 'Fatima', 'Kwame', 'Olga', 'Ivan', 'Amara', 'Noah', 'Liam',
     'Emma', 'Mia', 'Leo'];
CREATE TEMP MACRO kg_last_names() AS
    ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Liskov', 'Dijkstra', 'Knuth', 'Allen', 'Thompson',
     'Ritchie', 'Stroustrup', 'Rossum', 'Lamarr', 'Johnson', 'Berners-Lee', 'Perlman', 'Wirth', 'Wilson', 'Matsumoto',
     'Borg', 'McCarthy', 'O''Neil', 'García', 'Müller', 'Dubois', 'Østergaard', 'Nakamura', 'Okafor', 'Patel',
     'Kowalski', 'Ivanova', 'Smith', 'Brown', 'Martin', 'Rossi', 'Silva', 'Kim', 'Chen', 'Nguyen'];
CREATE TEMP MACRO kg_first_name(i) AS kg_pick(kg_first_names(), i, 5);
CREATE TEMP MACRO kg_last_name(i) AS kg_pick(kg_last_names(), i, 6);
CREATE TEMP MACRO kg_email(i, k) AS
    lower(kg_first_name(i))
    || CASE (k) WHEN 0 THEN '.' || lower(kg_last_name(i)) WHEN 1 THEN '_' || lower(kg_last_name(i))
                ELSE '.' || lower(left(kg_last_name(i), 1)) END
    || (i)::VARCHAR || '@'
    || kg_pick(['example.com', 'example.org', 'example.net', 'mail.example', 'shop.example'], (i) * 4 + (k), 7);
CREATE TEMP MACRO kg_anon_count(i) AS
    CASE WHEN kg_u(i, 8) < 0.55 THEN 0 WHEN kg_u(i, 8) < 0.85 THEN 1 WHEN kg_u(i, 8) < 0.95 THEN 2
         ELSE 3 + kg_ui(i, 9, 4) END;
CREATE TEMP MACRO kg_uuid(x) AS
    substr(x, 1, 8) || '-' || substr(x, 9, 4) || '-4' || substr(x, 14, 3) || '-' || substr(x, 17, 4) || '-'
    || substr(x, 21, 12);
CREATE TEMP MACRO kg_anon_id(i, k) AS kg_uuid(printf('%016x%016x', kg_h((i) * 8 + (k), 10), kg_h((i) * 8 + (k), 11)));
CREATE TEMP MACRO kg_merge_count(i) AS CASE WHEN kg_u(i, 12) < 0.03 THEN 1 + (kg_u(i, 13) < 0.3)::INTEGER ELSE 0 END;
CREATE TEMP MACRO kg_merged_id(i, k) AS 'sgid_' || kg_tag((i) * 4 + (k), 14, 1);
CREATE TEMP MACRO kg_ghost_id(g) AS 'sgid_' || kg_tag(g, 15, 2);
CREATE TEMP MACRO kg_household_of(i) AS 100001 + kg_ui(i, 16, kg_n_households());

-- Skew: a row picks its parent among n uniformly, or, with probability share, among a few heavy parents.
CREATE TEMP MACRO kg_skewed(j, s, n, share, heavy) AS
    CASE WHEN kg_u(j, s) < (share) THEN kg_ui(j, (s) + 1, heavy) * 197 % greatest((n), 1)
         ELSE kg_ui(j, (s) + 1, n) END;

-- Events: owner, segment id (canonical, merged away, outside the universe or NULL), time, id.
CREATE TEMP MACRO kg_event_owner(j, s) AS
    kg_skewed(j, s, kg_n_profiles(), 0.2, greatest(kg_n_profiles() // 200, 1));
CREATE TEMP MACRO kg_event_sid(o, r, s) AS
    CASE WHEN kg_u(r, s) < 0.002 THEN NULL
         WHEN kg_u(r, s) < 0.012 THEN kg_ghost_id(kg_ui(r, (s) + 1, greatest(kg_n_profiles() // 100, 10)))
         WHEN kg_merge_count(o) > 0 AND kg_u(r, (s) + 2) < 0.5
             THEN kg_merged_id(o, kg_ui(r, (s) + 3, kg_merge_count(o)))
         ELSE kg_pid(o) END;
CREATE TEMP MACRO kg_event_ts(r, s) AS
    CASE WHEN kg_u(r, s) < 0.004 THEN NULL
         ELSE kg_anchor() + INTERVAL 5 DAY
              - to_milliseconds(floor(pow(kg_u(r, (s) + 1), 1.5) * 735 * 86400000)) END;
CREATE TEMP MACRO kg_event_id(r, s) AS 'ajs-' || kg_tag(r, s, 0);

-- Event context.
CREATE TEMP MACRO kg_path_count() AS 15;
CREATE TEMP MACRO kg_page_path(x) AS
    ['/', '/sale/50%_off', '/search?q=100%25+cotton', '/products/ultra_boost', '/c/shoes', '/c/bags', '/account',
     '/cart', '/checkout', '/guides/back\slash-style', '/promo/summer_sale', '/help/faq', '/blog/new-arrivals',
     '/c/audio', '/wishlist'][1 + (x)];
CREATE TEMP MACRO kg_page_name(x) AS
    ['Home', 'Sale', 'Search', 'Product', 'Shoes', 'Bags', 'Account', 'Cart', 'Checkout', 'Style guide', 'Promo',
     'FAQ', 'Blog', 'Audio', 'Wishlist'][1 + (x)];
CREATE TEMP MACRO kg_page_url(r, s) AS 'https://shop.example' || kg_page_path(kg_ui(r, s, kg_path_count()));
CREATE TEMP MACRO kg_ip(r, s) AS
    concat_ws('.', 10 + kg_h(r, s) % 200, (kg_h(r, s) >> 8) % 256, (kg_h(r, s) >> 16) % 256,
              1 + (kg_h(r, s) >> 24) % 254);
CREATE TEMP MACRO kg_user_agent(r, s) AS kg_pick([
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'], r, s);
CREATE TEMP MACRO kg_locale(r, s) AS kg_pick(['en-US', 'en-US', 'en-GB', 'fr-FR', 'de-DE', 'es-ES', 'ja-JP'], r, s);
CREATE TEMP MACRO kg_currency(r, s) AS kg_pick(['USD', 'USD', 'USD', 'EUR', 'EUR', 'GBP', 'CAD', 'JPY'], r, s);
CREATE TEMP MACRO kg_coupon(r, s) AS kg_pick(['SAVE10', '50%_OFF', 'WELCOME_5', 'BACK\SLASH', 'FREESHIP'], r, s);

-- Products: everything about product k (events and crm tables agree on it).
CREATE TEMP MACRO kg_sku(k) AS printf('SKU-%06d', k);
CREATE TEMP MACRO kg_popular_product(r, s) AS
    least(floor(pow(kg_u(r, s), 2) * kg_n_products())::BIGINT, kg_n_products() - 1);
CREATE TEMP MACRO kg_product_kind(k) AS kg_ui(k, 900, 10);
CREATE TEMP MACRO kg_product_name(k) AS
    CASE WHEN kg_u(k, 901) < 0.02
             THEN kg_pick(['Flash_Sale 50% Bundle', 'Back\Slash Organizer', '100% Cotton_Tee'], k, 902)
         ELSE kg_pick(['Ultra', 'Classic', 'Eco', 'Pro', 'Mini', 'Max', 'Urban', 'Trail'], k, 903) || ' '
              || ['Runner', 'Backpack', 'Jacket', 'Mug', 'Lamp', 'Headphones', 'Sneaker', 'Watch', 'Bottle',
                  'Tote'][1 + kg_product_kind(k)] END;
CREATE TEMP MACRO kg_product_category(k) AS
    ['shoes', 'bags', 'outerwear', 'kitchen', 'lighting', 'audio', 'shoes', 'watches', 'outdoor',
     'bags'][1 + kg_product_kind(k)];
CREATE TEMP MACRO kg_product_price(k) AS round(3 + pow(kg_u(k, 904), 2) * 497, 2)::DECIMAL(10,2);
)SQL";

// Rows j < n of the number table, each once or, with probability p, twice (copy 0 and copy 1).
// Used for duplicated event ids and duplicated primary keys.
std::string Copies(const char* count_macro, int salt, const char* p) {
    return fmt::format("(SELECT j, unnest(range(CASE WHEN kg_u(j, {}) < {} THEN 2 ELSE 1 END)) AS copy "
                       "FROM kg_numbers WHERE j < {}())",
                       salt, p, count_macro);
}

// The shared head of an event table: rows of the number table with their copy, owner profile and how a
// duplicate differs from the row it copies (dup: 0 the original, 1 an identical copy, 2 a later timestamp,
// 3 another property value).
std::string EventRows(const char* count_macro, int salt) {
    return fmt::format("SELECT j, copy, j * 2 + copy AS rj, kg_event_owner(j, {0}) AS o,\n"
                       "    CASE WHEN copy = 0 THEN 0 WHEN kg_u(j, {1}) < 0.6 THEN 1 WHEN kg_u(j, {1}) < 0.8 THEN 2 "
                       "ELSE 3 END AS dup\n"
                       "FROM {2}",
                       salt, salt + 2, Copies(count_macro, salt + 3, "0.015"));
}

// id, segment_id and timestamp of an event table, salts from base to base + 12.
std::string EventHead(int base) {
    return fmt::format("    CASE WHEN kg_u(rj, {0}) < 0.004 THEN NULL ELSE kg_event_id(j, {1}) END AS \"id\",\n"
                       "    kg_event_sid(o, j, {2}) AS \"segment_id\",\n"
                       "    kg_event_ts(j, {3}) + CASE WHEN dup = 2 THEN to_seconds(1 + kg_ui(j, {4}, 600)) "
                       "ELSE INTERVAL 0 SECOND END AS \"timestamp\",\n",
                       base, base + 1, base + 2, base + 6, base + 8);
}

std::vector<Step> BuildSteps() {
    std::vector<Step> steps;

    steps.push_back({"segment.user_identifiers", "segment", "user_identifiers", R"SQL(
CREATE TABLE "segment"."user_identifiers" AS
WITH slot AS (
    SELECT n.j AS i, n.pid, s."type", s.k
    FROM (SELECT j, kg_pid(j) AS pid FROM kg_numbers WHERE j < kg_n_profiles()) n
    CROSS JOIN (VALUES ('user_id', 0), ('email', 0), ('email', 1), ('email', 2), ('anonymous_id', 0),
                       ('anonymous_id', 1), ('anonymous_id', 2), ('anonymous_id', 3), ('anonymous_id', 4),
                       ('anonymous_id', 5)) s("type", k)
    WHERE CASE s."type" WHEN 'user_id' THEN kg_has_user_id(n.j)
                        WHEN 'email' THEN s.k < kg_email_count(n.j)
                        ELSE s.k < kg_anon_count(n.j) END
)
SELECT pid AS "canonical_segment_id", "type",
       CASE "type" WHEN 'user_id' THEN kg_user_id(i) WHEN 'email' THEN kg_email(i, k) ELSE kg_anon_id(i, k) END
           AS "value"
FROM slot
UNION ALL
-- the same email recorded twice
SELECT kg_pid(j), 'email', kg_email(j, 0)
FROM kg_numbers WHERE j < kg_n_profiles() AND kg_email_count(j) > 0 AND kg_u(j, 1700) < 0.005
UNION ALL
-- rows with a NULL canonical_segment_id or a NULL value
SELECT CASE WHEN j % 2 = 0 THEN NULL ELSE kg_pid(kg_ui(j, 1701, kg_n_profiles())) END,
       CASE WHEN j % 2 = 0 THEN 'email' ELSE 'anonymous_id' END,
       CASE WHEN j % 2 = 0 THEN 'nobody' || j::VARCHAR || '@example.com' END
FROM kg_numbers WHERE j < greatest(kg_n_profiles() // 2000, 2)
)SQL"});

    steps.push_back({"segment.user_traits", "segment", "user_traits", R"SQL(
CREATE TABLE "segment"."user_traits" AS
WITH present AS (
    SELECT n.j AS i, n.pid, t.name, t.code, n.j * 16 + t.code AS tk
    FROM (SELECT j, kg_pid(j) AS pid FROM kg_numbers WHERE j < kg_n_profiles()) n
    CROSS JOIN (VALUES ('first_name', 0, 0.85), ('last_name', 1, 0.5), ('plan', 2, 0.7), ('home_currency', 3, 0.5),
                       ('lifetime_value', 4, 0.45), ('is_vip', 5, 0.4), ('birthday', 6, 0.35),
                       ('preferred_time', 7, 0.2), ('last_seen_at', 8, 0.5), ('household_id', 9, 0.45))
        t(name, code, presence)
    WHERE kg_u(n.j * 16 + t.code, 1500) < t.presence
), history AS (
    SELECT i, pid, name, code, tk, h, unnest(range(h)) AS k
    FROM (SELECT *, CASE WHEN kg_u(tk, 1501) < 0.75 THEN 1 WHEN kg_u(tk, 1501) < 0.92 THEN 2
                         WHEN kg_u(tk, 1501) < 0.97 THEN 3 ELSE 4 + kg_ui(tk, 1502, 3) END AS h
          FROM present)
), versions AS (
    SELECT i, pid, name, code, h, k, tk * 8 + k AS r, k = h - 1 AS cur FROM history
)
SELECT pid AS "canonical_segment_id", name AS "name",
    CASE WHEN kg_u(r, 1510) < 0.03 THEN NULL
         WHEN code >= 4 AND kg_u(r, 1511) < 0.025 THEN CASE code
             WHEN 4 THEN kg_pick(['5_0', '1e3', '12,50', ' 42', '$99', '-'], r, 1512)
             WHEN 5 THEN kg_pick(['yes', 'TRUE', '1', 'no', 'False'], r, 1512)
             WHEN 6 THEN kg_pick(['1990-02-30', '03/04/1988', '1985-13-01', '1990-1-5', '19900105'], r, 1512)
             WHEN 7 THEN kg_pick(['24:00:00', '7pm', '12:60:00', '9:30', '09:30'], r, 1512)
             WHEN 8 THEN kg_pick(['2025-13-01T00:00:00Z', 'yesterday', '2025-06-31 10:00:00', '2025-06-01T25:00:00Z',
                                  '1735689600'], r, 1512)
             ELSE kg_pick(['5_0', 'hh-12', '', '1e3', '12.5'], r, 1512) END
         ELSE CASE code
             WHEN 0 THEN CASE WHEN cur THEN kg_first_name(i) ELSE lower(kg_first_name(i)) END
             WHEN 1 THEN CASE WHEN cur THEN kg_last_name(i) ELSE upper(kg_last_name(i)) END
             WHEN 2 THEN kg_pick(['free', 'free', 'pro', 'pro', 'enterprise'], r, 1513)
             WHEN 3 THEN kg_pick(['USD', 'USD', 'EUR', 'GBP', 'CAD', 'JPY'], r, 1513)
             WHEN 4 THEN CASE WHEN kg_u(r, 1514) < 0.3 THEN kg_ui(r, 1513, 5000)::VARCHAR
                              ELSE printf('%.2f', kg_u(r, 1513) * 5000) END
             WHEN 5 THEN CASE WHEN kg_u(r, 1513) < 0.15 THEN 'true' ELSE 'false' END
             WHEN 6 THEN (DATE '1950-01-01' + kg_ui(r, 1513, 20800)::INTEGER)::VARCHAR
             WHEN 7 THEN (TIME '06:00:00' + to_minutes(kg_ui(r, 1513, 64) * 15))::VARCHAR
             WHEN 8 THEN CASE kg_ui(r, 1514, 4)
                 WHEN 0 THEN strftime(kg_ts_before(r, 1515, 400), '%Y-%m-%dT%H:%M:%SZ')
                 WHEN 1 THEN strftime(kg_ts_before(r, 1515, 400), '%Y-%m-%d %H:%M:%S')
                 WHEN 2 THEN strftime(kg_ts_before(r, 1515, 400), '%Y-%m-%dT%H:%M:%S.%f') || '+02:00'
                 ELSE strftime(kg_ts_before(r, 1515, 400), '%Y-%m-%dT%H:%M:%S') END
             ELSE (CASE WHEN cur THEN kg_household_of(i) ELSE 100001 + kg_ui(r, 1516, kg_n_households()) END)::VARCHAR
         END
    END AS "value",
    (CASE WHEN kg_u(r, 1520) < 0.02 THEN NULL
          WHEN cur AND k > 0 AND kg_u(r, 1521) < 0.05
              THEN 1700000000000 + (k - 1) * 86400000 + kg_ui(r - 1, 1522, 86400000)
          ELSE 1700000000000 + k * 86400000 + kg_ui(r, 1522, 86400000) END)::BIGINT AS "seq"
FROM versions
)SQL"});

    steps.push_back({"segment.profile_merges", "segment", "profile_merges", R"SQL(
CREATE TABLE "segment"."profile_merges" AS
WITH merged AS (
    SELECT j AS i, unnest(range(kg_merge_count(j))) AS k
    FROM kg_numbers WHERE j < kg_n_profiles() AND kg_merge_count(j) > 0
)
SELECT kg_pid(i) AS "canonical_segment_id", kg_merged_id(i, k) AS "segment_id" FROM merged
UNION ALL
-- a merged-away id also claimed by a second profile
SELECT kg_pid((i * 7 + 3) % kg_n_profiles()), kg_merged_id(i, k) FROM merged WHERE k = 0 AND kg_u(i, 1800) < 0.05
UNION ALL
-- rows with a NULL side
SELECT CASE WHEN j % 2 = 0 THEN NULL ELSE kg_pid(kg_ui(j, 1801, kg_n_profiles())) END,
       CASE WHEN j % 2 = 0 THEN kg_pid(kg_ui(j, 1801, kg_n_profiles())) END
FROM kg_numbers WHERE j < greatest(kg_n_profiles() // 1000, 2)
)SQL"});

    steps.push_back({"segment.order_completed", "segment", "order_completed", R"SQL(
CREATE TABLE "segment"."order_completed" AS
WITH e AS ()SQL" + EventRows("kg_n_order_completed", 100) + R"SQL()
SELECT
)SQL" + EventHead(110) + R"SQL(
    'ord_' || (100000 + j)::VARCHAR AS "order_id",
    CASE WHEN kg_u(j, 130) < 0.02 THEN NULL
         ELSE (kg_money(j, 131, 5, 1000) + CASE WHEN dup = 3 THEN 10 ELSE 0 END)::DECIMAL(12,2) END AS "total",
    round(kg_money(j, 131, 5, 1000) * 0.92, 2) AS "revenue",
    CASE WHEN kg_u(j, 132) < 0.01 THEN NULL ELSE kg_currency(j, 133) END AS "currency",
    (1 + kg_ui(j, 134, 5))::INTEGER AS "quantity",
    kg_sku(kg_popular_product(j, 135)) AS "product_sku",
    CASE WHEN kg_u(j, 136) < 0.01 THEN NULL ELSE kg_u(j, 137) < 0.25 END AS "coupon_used",
    CASE WHEN kg_u(j, 137) < 0.25 THEN kg_coupon(j, 138) END AS "coupon_code",
    CAST(kg_event_ts(j, 116) AS DATE) + (2 + kg_ui(j, 139, 8))::INTEGER AS "delivery_date",
    TIME '08:00:00' + to_hours(kg_ui(j, 140, 12)) AS "delivery_window_start",
    kg_page_url(j, 141) AS "context_page_url",
    kg_ip(j, 142) AS "context_ip",
    kg_user_agent(j, 146) AS "context_user_agent",
    kg_locale(j, 147) AS "context_locale"
FROM e
)SQL"});

    steps.push_back({"segment.product_viewed", "segment", "product_viewed", R"SQL(
CREATE TABLE "segment"."product_viewed" AS
WITH e AS (SELECT *, kg_popular_product(j, 205) AS p FROM ()SQL" + EventRows("kg_n_product_viewed", 200) + R"SQL())
SELECT
)SQL" + EventHead(210) + R"SQL(
    kg_sku(p) AS "product_sku",
    kg_product_name(p) AS "product_name",
    kg_product_category(p) AS "category",
    CASE WHEN dup = 3 OR kg_u(j, 230) < 0.01 THEN NULL ELSE kg_product_price(p) END AS "price",
    kg_u(j, 231) < 0.9 AS "in_stock",
    (1 + kg_ui(j, 232, 48))::INTEGER AS "position",
    CASE WHEN kg_u(j, 233) < 0.5 THEN 'https://shop.example/p/' || kg_sku(p) ELSE kg_page_url(j, 234) END
        AS "context_page_url",
    CASE WHEN kg_u(j, 240) < 0.7 THEN NULL
         ELSE kg_pick(['google', 'newsletter', 'partner_50%', 'instagram', 'back\slash_ads'], j, 241) END
        AS "context_campaign_source"
FROM e
)SQL"});

    steps.push_back({"segment.page_viewed", "segment", "page_viewed", R"SQL(
CREATE TABLE "segment"."page_viewed" AS
WITH e AS (SELECT *, kg_ui(j, 305, kg_path_count()) AS px FROM ()SQL" + EventRows("kg_n_page_viewed", 300) + R"SQL())
SELECT
)SQL" + EventHead(310) + R"SQL(
    kg_page_name(px) AS "name",
    kg_page_path(px) AS "path",
    CASE WHEN kg_u(j, 330) < 0.4 THEN NULL
         ELSE kg_pick(['https://www.google.com/search?q=50%25_off', 'https://news.example/back\slash',
                       'https://shop.example/', 'https://social.example/p/1_000'], j, 331) END AS "referrer",
    (50 + kg_ui(j, 332, 3000) + CASE WHEN dup = 3 THEN 1 ELSE 0 END)::BIGINT AS "load_time_ms",
    'https://shop.example' || kg_page_path(px) AS "context_page_url",
    kg_user_agent(j, 333) AS "context_user_agent"
FROM e
)SQL"});

    steps.push_back({"segment.cart_abandoned", "segment", "cart_abandoned", R"SQL(
CREATE TABLE "segment"."cart_abandoned" AS
WITH e AS ()SQL" + EventRows("kg_n_cart_abandoned", 400) + R"SQL()
SELECT
)SQL" + EventHead(410) + R"SQL(
    (1 + kg_ui(j, 430, kg_n_carts()))::BIGINT AS "cart_id",
    CASE WHEN kg_u(j, 431) < 0.02 THEN NULL
         ELSE (kg_money(j, 432, 5, 900) + CASE WHEN dup = 3 THEN 1 ELSE 0 END)::DECIMAL(12,2) END AS "cart_total",
    kg_currency(j, 433) AS "currency",
    (1 + kg_ui(j, 434, 9))::INTEGER AS "item_count",
    CASE WHEN kg_u(j, 435) < 0.05 THEN NULL ELSE kg_u(j, 436) < 0.5 END AS "reminder_sent",
    CAST(kg_event_ts(j, 416) AS DATE) AS "abandoned_on",
    'https://shop.example' || CASE WHEN kg_u(j, 437) < 0.7 THEN '/cart' ELSE '/checkout?step=2&promo=50%_off' END
        AS "context_page_url",
    kg_user_agent(j, 438) AS "context_user_agent"
FROM e
)SQL"});

    steps.push_back({"segment.signed_up", "segment", "signed_up", R"SQL(
CREATE TABLE "segment"."signed_up" AS
WITH e AS (
    SELECT j, copy, j * 2 + copy AS rj, j AS o, CASE WHEN copy = 0 THEN 0 ELSE 1 END AS dup
    FROM (SELECT j, unnest(range(CASE WHEN kg_u(j, 501) < 0.01 THEN 2 ELSE 1 END)) AS copy
          FROM kg_numbers WHERE j < kg_n_profiles() AND kg_u(j, 500) < 0.7)
)
SELECT
    CASE WHEN kg_u(rj, 510) < 0.004 THEN NULL ELSE kg_event_id(j, 511) END AS "id",
    kg_event_sid(o, j, 512) AS "segment_id",
    CASE WHEN kg_u(j, 516) < 0.004 THEN NULL
         ELSE kg_anchor() + INTERVAL 5 DAY - to_milliseconds(floor(sqrt(kg_u(j, 517)) * 735 * 86400000)) END
        AS "timestamp",
    kg_pick(['email', 'email', 'google', 'apple', 'facebook'], j, 520) AS "method",
    kg_pick(['free', 'free', 'free', 'pro', 'enterprise'], j, 521) AS "plan",
    CASE WHEN kg_u(j, 522) < 0.8 THEN NULL
         WHEN kg_u(j, 523) < 0.9 THEN 'REF_' || upper(kg_tag(j, 524, 0))
         ELSE kg_pick(['100%_FRIEND', 'A\B_TEST'], j, 525) END AS "referral_code",
    CASE WHEN kg_u(j, 526) < 0.05 THEN NULL ELSE kg_u(j, 527) < 0.35 END AS "newsletter_opt_in",
    'https://shop.example/signup?utm_source=' || kg_pick(['google', 'newsletter', 'partner_50%25'], j, 528)
        AS "context_page_url",
    kg_ip(j, 530) AS "context_ip",
    CASE WHEN kg_u(j, 534) < 0.5 THEN NULL ELSE kg_pick(['google', 'newsletter', 'partner_50%'], j, 535) END
        AS "context_campaign_source"
FROM e
)SQL"});

    steps.push_back({"crm.accounts", "crm", "accounts", R"SQL(
CREATE TABLE "crm"."accounts" AS
WITH a AS (
    SELECT j, copy, kg_skewed(j, 600, kg_n_profiles(), 0.15, greatest(kg_n_profiles() // 1000, 1)) AS o
    FROM )SQL" + Copies("kg_n_accounts", 602, "0.002") + R"SQL(
)
SELECT
    (1 + j)::BIGINT AS "ID",
    CASE WHEN kg_u(j, 603) < 0.02 THEN NULL
         WHEN kg_u(j, 603) < 0.05 OR kg_email_count(o) = 0 THEN 'former.customer' || j::VARCHAR || '@example.net'
         WHEN kg_u(j, 603) < 0.06 THEN upper(kg_email(o, 0))
         ELSE kg_email(o, kg_ui(j, 604, kg_email_count(o))) END AS "EMAIL",
    CASE WHEN copy = 1 THEN 'closed' WHEN kg_u(j, 605) < 0.03 THEN NULL
         ELSE kg_pick(['active', 'active', 'active', 'suspended', 'closed'], j, 606) END AS "STATUS",
    CASE WHEN kg_u(j, 607) < 0.05 THEN NULL ELSE kg_money(j, 608, 100, 20000)::DECIMAL(12,2) END AS "CREDIT_LIMIT",
    round(kg_u(j, 609) * 5000 - 500, 2) AS "BALANCE",
    kg_u(j, 610) < 0.2 AS "IS_BUSINESS",
    (1 + kg_ui(j, 611, 3))::INTEGER AS "TIER",
    CASE WHEN kg_u(j, 612) < 0.02 THEN NULL ELSE kg_pick(['US', 'US', 'GB', 'FR', 'DE', 'CA', 'JP', 'ES'], j, 613) END
        AS "COUNTRY",
    CAST(kg_ts_before(j, 614, 3000) AS DATE) AS "OPENED_ON",
    CASE WHEN kg_u(j, 615) < 0.1 THEN NULL ELSE TIME '08:00:00' + to_minutes(kg_ui(j, 616, 40) * 15) END
        AS "CONTACT_TIME",
    kg_ts_before(j, 614, 3000) AS "CREATED_AT",
    kg_ts_before(j, 617, 60) + CASE WHEN copy = 1 THEN INTERVAL 1 DAY ELSE INTERVAL 0 DAY END AS "UPDATED_AT"
FROM a
)SQL"});

    steps.push_back({"crm.carts", "crm", "carts", R"SQL(
CREATE TABLE "crm"."carts" AS
WITH c AS (
    SELECT j, kg_skewed(j, 700, kg_n_accounts(), 0.15, greatest(kg_n_accounts() // 500, 1)) AS a
    FROM kg_numbers WHERE j < kg_n_carts()
)
SELECT
    (1 + j)::BIGINT AS "ID",
    (CASE WHEN kg_u(j, 702) < 0.03 THEN NULL
          WHEN kg_u(j, 702) < 0.05 THEN kg_n_accounts() + 1 + kg_ui(j, 703, 1000)
          ELSE 1 + a END)::BIGINT AS "ACCOUNT_ID",
    kg_pick(['open', 'open', 'checked_out', 'checked_out', 'abandoned'], j, 704) AS "STATUS",
    CASE WHEN kg_u(j, 705) < 0.02 THEN NULL ELSE kg_money(j, 706, 0, 800)::DECIMAL(12,2) END AS "TOTAL",
    kg_currency(j, 707) AS "CURRENCY",
    kg_ui(j, 708, 12)::INTEGER AS "ITEM_COUNT",
    CASE WHEN kg_u(j, 709) < 0.02 THEN NULL ELSE kg_u(j, 710) < 0.1 END AS "IS_GIFT",
    kg_ts_before(j, 711, 700) AS "CREATED_AT",
    CASE WHEN kg_u(j, 712) < 0.1 THEN NULL
         ELSE kg_ts_before(j, 711, 700) + to_seconds(kg_ui(j, 713, 7 * 86400)) END AS "UPDATED_AT",
    CAST(kg_ts_before(j, 711, 700) AS DATE) + 30 AS "EXPIRES_ON",
    CASE WHEN kg_u(j, 714) < 0.2 THEN kg_coupon(j, 715) END AS "COUPON_CODE"
FROM c
)SQL"});

    steps.push_back({"crm.cart_products", "crm", "cart_products", R"SQL(
CREATE TABLE "crm"."cart_products" AS
SELECT
    (1 + j)::BIGINT AS "ID",
    (CASE WHEN kg_u(j, 800) < 0.02 THEN NULL
          ELSE 1 + kg_skewed(j, 801, kg_n_carts(), 0.1, greatest(kg_n_carts() // 500, 1)) END)::BIGINT AS "CART_ID",
    CASE WHEN kg_u(j, 803) < 0.01 THEN NULL
         WHEN kg_u(j, 803) < 0.02 THEN 'SKU-X' || kg_ui(j, 804, 1000)::VARCHAR
         ELSE kg_sku(kg_popular_product(j, 805)) END AS "PRODUCT_SKU",
    (1 + kg_ui(j, 806, 4))::INTEGER AS "QUANTITY",
    kg_money(j, 807, 2, 300)::DECIMAL(10,2) AS "UNIT_PRICE",
    kg_ts_before(j, 808, 700) AS "ADDED_AT"
FROM kg_numbers WHERE j < kg_n_cart_products()
)SQL"});

    steps.push_back({"crm.products", "crm", "products", R"SQL(
CREATE TABLE "crm"."products" AS
SELECT
    kg_sku(j) AS "SKU",
    kg_product_name(j) AS "NAME",
    (CASE WHEN kg_u(j, 910) < 0.03 THEN NULL
          WHEN kg_u(j, 910) < 0.04 THEN kg_n_brands() + 1 + kg_ui(j, 911, 50)
          ELSE 1 + kg_ui(j, 912, kg_n_brands()) END)::INTEGER AS "BRAND_ID",
    kg_product_category(j) AS "CATEGORY",
    CASE WHEN copy = 1 THEN (kg_product_price(j) * 0.8)::DECIMAL(10,2) ELSE kg_product_price(j) END AS "PRICE",
    round(0.1 + kg_u(j, 913) * 12, 3) AS "WEIGHT_KG",
    kg_u(j, 914) < 0.85 AS "IN_STOCK",
    kg_date_before(j, 915, 2500) AS "RELEASED_ON",
    CASE WHEN kg_u(j, 916) < 0.1 THEN NULL ELSE round(1 + kg_u(j, 917) * 4, 1) END AS "RATING",
    kg_ts_before(j, 918, 90) + CASE WHEN copy = 1 THEN INTERVAL 1 HOUR ELSE INTERVAL 0 HOUR END AS "UPDATED_AT"
FROM )SQL" + Copies("kg_n_products", 919, "0.005") + R"SQL(
)SQL"});

    steps.push_back({"crm.brands", "crm", "brands", R"SQL(
CREATE TABLE "crm"."brands" AS
SELECT
    (1 + j)::INTEGER AS "ID",
    ['Northwind', 'Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark & Sons', 'Wayne_Works', '100% Natural',
     'Back\Slash Co', 'Soylent', 'Tyrell', 'Cyberdyne', 'Wonka', 'Gringotts', 'Oceanic', 'Vandelay', 'Pied Piper',
     'Massive Dynamic', 'Aperture'][1 + j % 20] || CASE WHEN j >= 20 THEN ' ' || (j // 20)::VARCHAR ELSE '' END
        AS "NAME",
    kg_pick(['US', 'FR', 'DE', 'JP', 'IT', 'SE', 'GB'], j, 1000) AS "COUNTRY",
    (1850 + kg_ui(j, 1001, 170))::INTEGER AS "FOUNDED_YEAR",
    kg_u(j, 1002) < 0.25 AS "IS_PREMIUM",
    CASE WHEN kg_u(j, 1003) < 0.1 THEN NULL ELSE kg_date_before(j, 1004, 5000) END AS "PARTNER_SINCE",
    TIME '09:00:00' + to_minutes(kg_ui(j, 1005, 8) * 15) AS "SUPPORT_OPENS",
    kg_ts_before(j, 1006, 365) AS "UPDATED_AT"
FROM kg_numbers WHERE j < kg_n_brands()
UNION ALL
-- one brand recorded twice
SELECT 1, 'Northwind (legacy)', 'US', 1850, false, NULL, TIME '09:00:00', kg_anchor() - INTERVAL 400 DAY
)SQL"});

    steps.push_back({"crm.households", "crm", "households", R"SQL(
CREATE TABLE "crm"."households" AS
SELECT
    (100001 + j)::BIGINT AS "HOUSEHOLD_ID",
    'The ' || kg_pick(kg_last_names(), j, 1100) || ' household' AS "NAME",
    (1 + kg_ui(j, 1101, 6))::INTEGER AS "SIZE",
    CASE WHEN kg_u(j, 1102) < 0.1 THEN NULL ELSE kg_pick(['<25k', '25k-50k', '50k-100k', '100k+'], j, 1103) END
        AS "INCOME_BAND",
    kg_pick(['Paris', 'Berlin', 'New York', 'Tokyo', 'Madrid', 'Toronto', 'London', 'Austin'], j, 1104) AS "CITY",
    lpad(kg_ui(j, 1105, 99999)::VARCHAR, 5, '0') AS "POSTAL_CODE",
    CASE WHEN kg_u(j, 1106) < 0.05 THEN NULL ELSE kg_u(j, 1107) < 0.4 END AS "HAS_PETS",
    kg_date_before(j, 1108, 7000) AS "MOVED_IN_ON",
    TIME '19:00:00' + to_minutes(kg_ui(j, 1109, 8) * 30) AS "QUIET_HOURS_START",
    kg_ts_before(j, 1110, 365) + CASE WHEN copy = 1 THEN INTERVAL 1 DAY ELSE INTERVAL 0 DAY END AS "UPDATED_AT"
FROM )SQL" + Copies("kg_n_households", 1111, "0.002") + R"SQL(
)SQL"});

    steps.push_back({"crm.subscriptions", "crm", "subscriptions", R"SQL(
CREATE TABLE "crm"."subscriptions" AS
SELECT
    (1 + j)::BIGINT AS "ID",
    (CASE WHEN kg_u(j, 1200) < 0.03 THEN NULL
          WHEN kg_u(j, 1200) < 0.04 THEN 100001 + kg_n_households() + kg_ui(j, 1201, 1000)
          ELSE 100001 + kg_ui(j, 1202, kg_n_households()) END)::BIGINT AS "HOUSEHOLD_ID",
    kg_pick(['basic', 'family', 'premium', 'family_plus'], j, 1203) AS "PLAN",
    kg_money(j, 1204, 4, 60)::DECIMAL(8,2) AS "MONTHLY_PRICE",
    CASE WHEN kg_u(j, 1205) < 0.02 THEN NULL ELSE kg_u(j, 1206) < 0.7 END AS "IS_ACTIVE",
    kg_date_before(j, 1207, 1500) AS "STARTED_ON",
    kg_anchor() + to_seconds(kg_ui(j, 1208, 60 * 86400)) AS "RENEWS_AT",
    TIME '07:00:00' + to_minutes(kg_ui(j, 1209, 24) * 30) AS "DELIVERY_TIME",
    kg_pick(['web', 'app', 'phone', 'retail'], j, 1210) AS "CHANNEL"
FROM kg_numbers WHERE j < kg_n_subscriptions()
)SQL"});

    steps.push_back({"crm.cards", "crm", "cards", R"SQL(
CREATE TABLE "crm"."cards" AS
WITH c AS (
    SELECT j, copy, kg_skewed(j, 1300, kg_n_profiles(), 0.1, greatest(kg_n_profiles() // 1000, 1)) AS o
    FROM )SQL" + Copies("kg_n_cards", 1302, "0.002") + R"SQL(
)
SELECT
    (1 + j)::BIGINT AS "ID",
    CASE WHEN kg_u(j, 1303) < 0.02 THEN NULL
         WHEN kg_u(j, 1303) < 0.04 THEN 'usr_guest' || j::VARCHAR
         ELSE kg_user_id(o) END AS "USER_ID",
    kg_pick(['visa', 'mastercard', 'amex', 'discover'], j, 1304) AS "NETWORK",
    lpad(kg_ui(j, 1305, 10000)::VARCHAR, 4, '0') AS "LAST4",
    DATE '2024-01-31' + (kg_ui(j, 1306, 72) * 30)::INTEGER AS "EXPIRES_ON",
    CASE WHEN copy = 1 THEN false ELSE kg_u(j, 1307) < 0.5 END AS "IS_DEFAULT",
    CASE WHEN kg_u(j, 1308) < 0.1 THEN NULL ELSE round(500 + kg_u(j, 1309) * 14500, 0) END AS "CREDIT_LIMIT",
    kg_ts_before(j, 1310, 2000) AS "ISSUED_AT",
    kg_pick(['active', 'active', 'active', 'frozen', 'expired'], j, 1311) AS "STATUS"
FROM c
)SQL"});

    steps.push_back({"crm.transactions", "crm", "transactions", R"SQL(
CREATE TABLE "crm"."transactions" AS
SELECT
    (1 + j)::BIGINT AS "ID",
    (CASE WHEN kg_u(j, 1400) < 0.02 THEN NULL
          ELSE 1 + kg_skewed(j, 1401, kg_n_cards(), 0.15, greatest(kg_n_cards() // 500, 1)) END)::BIGINT AS "CARD_ID",
    ((CASE WHEN kg_u(j, 1403) < 0.05 THEN -1 ELSE 1 END) * kg_money(j, 1404, 1, 900))::DECIMAL(12,2) AS "AMOUNT",
    kg_currency(j, 1405) AS "CURRENCY",
    kg_pick(['Corner Café', 'Shop_Example', '50% Outlet', 'Back\Slash Books', 'Grocer & Co', 'Fuel Stop', 'Cinema 9',
             'Airline X'], j, 1406) AS "MERCHANT",
    kg_pick(['groceries', 'travel', 'dining', 'shopping', 'fuel', 'entertainment'], j, 1407) AS "CATEGORY",
    kg_u(j, 1403) < 0.05 AS "IS_REFUND",
    kg_ts_before(j, 1408, 700) AS "POSTED_AT",
    CAST(kg_ts_before(j, 1408, 700) AS DATE) AS "POSTED_ON",
    CAST(kg_ts_before(j, 1408, 700) AS TIME) AS "LOCAL_TIME"
FROM kg_numbers WHERE j < kg_n_transactions()
)SQL"});

    return steps;
}

} // namespace

std::string PreludeSql(const Sizes& z, uint64_t seed, unsigned threads) {
    // At most 3 GB of buffers keeps the process under 4 GB; row order is not part of the result.
    std::string sql = fmt::format("SET threads = {};\nSET memory_limit = '3GB';\n"
                                  "SET preserve_insertion_order = false;\n"
                                  "CREATE SCHEMA \"segment\";\nCREATE SCHEMA \"crm\";\n",
                                  threads);
    // hash() combines its arguments with a multiply and an XOR, so the hashes of one key under two salts differ
    // by a constant XOR and are strongly correlated; hashing the combined value again decorrelates them.
    sql += fmt::format("CREATE TEMP MACRO kg_h(i, s) AS hash(hash({}::UBIGINT, (i)::BIGINT, (s)::INTEGER));\n", seed);
    const std::pair<const char*, int64_t> sizes[] = {
        {"profiles", z.profiles},
        {"accounts", z.accounts},
        {"carts", z.carts},
        {"cart_products", z.cart_products},
        {"products", z.products},
        {"brands", z.brands},
        {"households", z.households},
        {"subscriptions", z.subscriptions},
        {"cards", z.cards},
        {"transactions", z.transactions},
        {"order_completed", z.order_completed},
        {"product_viewed", z.product_viewed},
        {"page_viewed", z.page_viewed},
        {"cart_abandoned", z.cart_abandoned},
    };
    for (const auto& [name, n] : sizes) sql += fmt::format("CREATE TEMP MACRO kg_n_{}() AS {}::BIGINT;\n", name, n);
    sql += kMacros;
    sql += fmt::format("CREATE TEMP TABLE kg_numbers AS SELECT range AS j FROM range({});\n", z.numbers);
    return sql;
}

const std::vector<Step>& TableSteps() {
    static const std::vector<Step> steps = BuildSteps();
    return steps;
}

} // namespace kith::gen
