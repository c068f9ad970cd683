#include "api/auth.hpp"
#include "api/pool.hpp"
#include "api/roles.hpp"

#include <gtest/gtest.h>
#include <set>
#include <thread>

namespace kith::api {
namespace {

TEST(Roles, TheSpecsTable) {
    using P = Permission;
    auto only = [](Role r) { return std::vector<Role>{r}; };
    EXPECT_TRUE(Allows(only(Role::WORKSPACE_OWNER), P::ADMIN));
    EXPECT_FALSE(Allows(only(Role::ENGAGE_USER), P::ADMIN));
    EXPECT_TRUE(Allows(only(Role::ENGAGE_USER), P::EDIT_AUDIENCES));
    EXPECT_FALSE(Allows(only(Role::ENGAGE_USER), P::EDIT_DESTINATIONS));
    EXPECT_FALSE(Allows(only(Role::ENGAGE_USER), P::VIEW_PROFILES));
    EXPECT_TRUE(Allows(only(Role::UNIFY_READ_ONLY), P::VIEW_PROFILES));
    EXPECT_FALSE(Allows(only(Role::UNIFY_READ_ONLY), P::VIEW_ENTITIES));
    EXPECT_TRUE(Allows(only(Role::ENTITIES_READ_ONLY), P::VIEW_ENTITIES));
    EXPECT_TRUE(Allows(only(Role::SOURCE_ADMIN), P::EDIT_DESTINATIONS));
    EXPECT_FALSE(Allows(only(Role::SOURCE_ADMIN), P::EDIT_ACTIVATIONS));
    EXPECT_TRUE(Allows(only(Role::READ_ONLY), P::VIEW));
    for (P p : {P::EDIT_AUDIENCES, P::EDIT_ACTIVATIONS, P::EDIT_DESTINATIONS, P::ADMIN}) {
        EXPECT_FALSE(Allows(only(Role::READ_ONLY), p)) << PermissionName(p);
    }
    // Building a linked audience: Workspace Owner, or Engage User with the three others (activations.md).
    std::vector<Role> builder = {Role::ENGAGE_USER, Role::UNIFY_READ_ONLY, Role::ENTITIES_READ_ONLY, Role::SOURCE_ADMIN};
    for (P p : {P::EDIT_AUDIENCES, P::EDIT_ACTIVATIONS, P::EDIT_DESTINATIONS, P::VIEW_PROFILES, P::VIEW_ENTITIES}) {
        EXPECT_TRUE(Allows(builder, p)) << PermissionName(p);
    }
    EXPECT_TRUE(Allows({}, P::SIGNED_IN));
    EXPECT_FALSE(Allows({}, P::VIEW));
}

TEST(Roles, ParsedByName) {
    auto r = ParseRoles({"engage_user", "read_only", "engage_user"});
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<Role>{Role::ENGAGE_USER, Role::READ_ONLY}));
    auto bad = ParseRoles({"read_only", "root"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().location, "/roles/1");
    EXPECT_NE(bad.error().message.find("workspace_owner"), std::string::npos);
}

TEST(Auth, PasswordsAreArgon2idAndTokensRandom) {
    PasswordCost cheap{1, 8u << 20};
    auto hash = HashPassword("correct horse", cheap);
    ASSERT_TRUE(hash);
    EXPECT_TRUE(hash->starts_with("$argon2id$"));
    EXPECT_TRUE(VerifyPassword(*hash, "correct horse"));
    EXPECT_FALSE(VerifyPassword(*hash, "correct horsE"));
    EXPECT_FALSE(VerifyPassword("", "x"));
    EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "x"));
    EXPECT_NE(*HashPassword("correct horse", cheap), *hash); // salted
    std::set<std::string> tokens;
    for (int i = 0; i < 100; ++i) tokens.insert(RandomToken("kith_"));
    EXPECT_EQ(tokens.size(), 100u);
    EXPECT_TRUE(tokens.begin()->starts_with("kith_"));
    EXPECT_EQ(tokens.begin()->size(), 5u + 43u); // 32 bytes, URL-safe base64 without padding
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
    EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
    EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST(Pool, ReusesBoundsAndDiscards) {
    int made = 0;
    Pool<int> pool([&]() -> Result<std::unique_ptr<int>> { return std::make_unique<int>(++made); }, 2);
    {
        auto a = pool.Acquire();
        ASSERT_TRUE(a);
        EXPECT_EQ(**a, 1);
    }
    auto b = pool.Acquire(); // the idle one again
    ASSERT_TRUE(b);
    EXPECT_EQ(**b, 1);
    auto c = pool.Acquire();
    EXPECT_EQ(**c, 2);
    EXPECT_EQ(pool.Open(), 2u);
    // A third waits until one comes back.
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        c->Discard();
        auto gone = std::move(*c);
    });
    auto d = pool.Acquire();
    t.join();
    ASSERT_TRUE(d);
    EXPECT_EQ(**d, 3); // the discarded one was replaced by a new one
    EXPECT_EQ(pool.Open(), 2u);
}

} // namespace
} // namespace kith::api
