// AccountStore on a real SQLite file: users and the rules on them, sessions
// with their idle and absolute expiry, API tokens, secrets stored only as
// digests, and a second connection (what `artery user` is) seeing changes.
// Passwords are hashed at full strength, so the cases keep hashes few.
#include "admin/account_store.hpp"
#include "admin/first_admin.hpp"
#include "admin/secret_token.hpp"

#include <sqlite3.h>

#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <thread>

using namespace artery::admin;
using artery::testing::TempDir;
using namespace std::chrono_literals;

namespace {

// Every text value in a table, for "the secret is not in the file" checks.
std::string dump_table(const std::filesystem::path& file, const std::string& table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::string out;
  auto row = [](void* target, int columns, char** values, char**) {
    auto& text = *static_cast<std::string*>(target);
    for (int i = 0; i < columns; ++i) text += std::string(values[i] ? values[i] : "") + "|";
    text += "\n";
    return 0;
  };
  REQUIRE(sqlite3_exec(db, ("SELECT * FROM " + table).c_str(), row, &out, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("account store: users, passwords and the last admin", "[admin][accounts]") {
  TempDir dir;
  const auto file = dir / "artery.db";
  AccountStore accounts(file);
  CHECK(accounts.user_count() == 0);

  accounts.add_user("admin", Role::admin, "first admin password");
  accounts.add_user("vera", Role::viewer, "vera's long password");
  CHECK(accounts.user_count() == 2);
  CHECK(accounts.admin_count() == 1);
  auto listed = accounts.users();
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "admin");
  CHECK(listed[1].name == "vera");
  CHECK(listed[1].role == Role::viewer);
  CHECK(listed[1].created_ms > 0);

  // The hash is stored, never the password.
  const std::string users_table = dump_table(file, "admin_users");
  CHECK(users_table.find("pbkdf2-sha256$600000$") != std::string::npos);
  CHECK(users_table.find("vera's long password") == std::string::npos);

  SECTION("passwords are checked; unknown users and wrong passwords look the same") {
    CHECK(accounts.check_password("vera", "vera's long password"));
    CHECK_FALSE(accounts.check_password("vera", "vera's long passwore"));
    auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(accounts.check_password("nobody", "vera's long password"));
    // The unknown name still costs a full hash (no timing oracle for names).
    CHECK(std::chrono::steady_clock::now() - started > 50ms);
  }
  SECTION("refusals say what is wrong") {
    using Kind = AccountError::Kind;
    auto kind_of = [](auto&& action) {
      try {
        action();
      } catch (const AccountError& e) {
        return std::optional<Kind>(e.kind());
      }
      return std::optional<Kind>();
    };
    CHECK(kind_of([&] { accounts.add_user("vera", Role::viewer, "another long password"); }) == Kind::conflict);
    CHECK(kind_of([&] { accounts.add_user("new", Role::viewer, "short"); }) == Kind::invalid);
    CHECK(kind_of([&] { accounts.add_user("with space", Role::viewer, "a long enough password"); }) == Kind::invalid);
    CHECK(kind_of([&] { accounts.add_user("", Role::viewer, "a long enough password"); }) == Kind::invalid);
    CHECK(kind_of([&] { accounts.set_password("nobody", "a long enough password"); }) == Kind::not_found);
    CHECK(kind_of([&] { accounts.set_password("vera", "too short"); }) == Kind::invalid);
    // The last admin can be neither removed, demoted nor disabled...
    CHECK(kind_of([&] { accounts.remove_user("admin"); }) == Kind::conflict);
    CHECK(kind_of([&] { accounts.set_role("admin", Role::operator_); }) == Kind::conflict);
    CHECK(kind_of([&] { accounts.set_disabled("admin", true); }) == Kind::conflict);
    // ...until there is another one.
    accounts.set_role("vera", Role::admin);
    accounts.remove_user("admin");
    CHECK(accounts.user_count() == 1);
    CHECK(AccountStore::password_problem("eleven char") != "");
    CHECK(AccountStore::password_problem("twelve chars") == "");
  }
}

TEST_CASE("account store: sessions expire idle and absolute, end on logout and password change", "[admin][accounts]") {
  TempDir dir;
  const auto file = dir / "artery.db";
  AccountStore accounts(file, SessionLifetime{400ms, 1500ms});
  accounts.add_user("olga", Role::operator_, "olga's long password");

  auto opened = accounts.open_session("olga");
  CHECK(opened.secret.size() == 43);
  CHECK(opened.info.role == Role::operator_);
  CHECK_FALSE(opened.info.csrf_token.empty());
  auto used = accounts.use_session(opened.secret);
  REQUIRE(used);
  CHECK(used->id == opened.info.id);
  CHECK(used->csrf_token == opened.info.csrf_token);
  CHECK_FALSE(accounts.use_session(opened.secret + "x"));
  CHECK_FALSE(accounts.use_session(""));

  // The database holds the digest, not the cookie value.
  const std::string sessions_table = dump_table(file, "admin_sessions");
  CHECK(sessions_table.find(opened.secret) == std::string::npos);
  CHECK(sessions_table.find(secret_digest(opened.secret)) != std::string::npos);

  SECTION("use slides the idle expiry, up to the absolute one") {
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(250ms);
      REQUIRE(accounts.use_session(opened.secret));
    }
    // 1.25 s of use: still alive; past 1.5 s it ends although used.
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(accounts.use_session(opened.secret));
  }
  SECTION("left idle, it ends") {
    std::this_thread::sleep_for(450ms);
    CHECK_FALSE(accounts.use_session(opened.secret));
    CHECK(accounts.sessions_of("olga").empty());
  }
  SECTION("logout ends it") {
    CHECK(accounts.close_session(opened.info.id));
    CHECK_FALSE(accounts.use_session(opened.secret));
    CHECK_FALSE(accounts.close_session(opened.info.id));
  }
  SECTION("a password change ends every session of the user") {
    auto second = accounts.open_session("olga");
    CHECK(accounts.sessions_of("olga").size() == 2);
    CHECK(accounts.set_password("olga", "olga's new long password") == 2);
    CHECK_FALSE(accounts.use_session(opened.secret));
    CHECK_FALSE(accounts.use_session(second.secret));
  }
  SECTION("a role change applies to live sessions at once") {
    accounts.set_role("olga", Role::viewer);
    CHECK(accounts.use_session(opened.secret)->role == Role::viewer);
  }
  SECTION("disabling or removing the user ends his sessions") {
    accounts.set_disabled("olga", true);
    CHECK_FALSE(accounts.use_session(opened.secret));
    CHECK_THROWS_AS(accounts.open_session("olga"), AccountError);
  }
}

TEST_CASE("account store: API tokens shown once, stored hashed, revocable", "[admin][accounts]") {
  TempDir dir;
  const auto file = dir / "artery.db";
  AccountStore accounts(file);
  accounts.add_user("admin", Role::admin, "first admin password");
  accounts.add_user("olga", Role::operator_, "olga's long password");

  auto created = accounts.create_token("olga", "nightly export");
  CHECK(created.secret.rfind("artery_", 0) == 0);
  CHECK(created.info.id.size() == 17);
  CHECK(created.info.expires_ms == 0);
  auto used = accounts.use_token(created.secret);
  REQUIRE(used);
  CHECK(used->user == "olga");
  CHECK(used->role == Role::operator_);
  CHECK(used->last_used_ms > 0);
  CHECK_FALSE(accounts.use_token("artery_wrong"));
  CHECK_FALSE(accounts.use_token(created.secret.substr(7)));  // without its prefix

  const std::string tokens_table = dump_table(file, "admin_tokens");
  CHECK(tokens_table.find(created.secret) == std::string::npos);

  auto short_lived = accounts.create_token("admin", "for a minute", 300ms);
  CHECK(accounts.use_token(short_lived.secret));
  CHECK(accounts.tokens().size() == 2);
  CHECK(accounts.tokens("olga").size() == 1);
  std::this_thread::sleep_for(350ms);
  CHECK_FALSE(accounts.use_token(short_lived.secret));

  CHECK(accounts.revoke_token(created.info.id));
  CHECK_FALSE(accounts.use_token(created.secret));
  CHECK_FALSE(accounts.revoke_token(created.info.id));
  CHECK_THROWS_AS(accounts.create_token("nobody", "x"), AccountError);
  CHECK_THROWS_AS(accounts.create_token("olga", ""), AccountError);

  SECTION("a removed user's tokens go with him") {
    auto again = accounts.create_token("olga", "again");
    accounts.remove_user("olga");
    CHECK_FALSE(accounts.use_token(again.secret));
    CHECK(accounts.tokens("olga").empty());
  }
}

TEST_CASE("account store: a second connection on the file (artery user) and threads", "[admin][accounts]") {
  TempDir dir;
  const auto file = dir / "artery.db";
  AccountStore engine_side(file);
  engine_side.add_user("admin", Role::admin, "first admin password");
  auto session = engine_side.open_session("admin");
  {
    AccountStore cli_side(file);
    REQUIRE(cli_side.user("admin"));
    cli_side.add_user("vera", Role::viewer, "vera's long password");
    cli_side.close_sessions_of("admin");
  }
  CHECK(engine_side.user("vera"));
  CHECK_FALSE(engine_side.use_session(session.secret));

  std::vector<OpenedSession> sessions;
  for (int i = 0; i < 4; ++i) sessions.push_back(engine_side.open_session("vera"));
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        if (engine_side.use_session(sessions[static_cast<std::size_t>(t)].secret)) ++found;
    });
  for (auto& thread : threads) thread.join();
  CHECK(found == 800);
}

TEST_CASE("first admin: from ARTERY_ADMIN_PASSWORD, refused when too short, never a reset", "[admin][accounts]") {
  TempDir dir;
  AccountStore accounts(dir / "artery.db");
  ::setenv("ARTERY_ADMIN_PASSWORD", "too short", 1);
  CHECK_THROWS_WITH(ensure_first_admin(accounts), Catch::Contains("ARTERY_ADMIN_PASSWORD") &&
                                                       Catch::Contains("at least 12 characters"));
  CHECK(accounts.user_count() == 0);
  ::setenv("ARTERY_ADMIN_PASSWORD", "the first admin's password", 1);
  ensure_first_admin(accounts);
  auto admin = accounts.user("admin");
  REQUIRE(admin);
  CHECK(admin->role == Role::admin);
  // Set again at a later start, it changes nothing: users exist.
  ::setenv("ARTERY_ADMIN_PASSWORD", "another password entirely", 1);
  ensure_first_admin(accounts);
  ::unsetenv("ARTERY_ADMIN_PASSWORD");
  CHECK(accounts.user_count() == 1);
  CHECK(accounts.check_password("admin", "the first admin's password"));
}
