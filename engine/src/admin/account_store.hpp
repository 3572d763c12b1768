// The admin API's accounts: users with their role and password hash, login
// sessions, and API tokens for scripts. Kept in the store's database file on
// a connection of its own (like the audit log), so that `artery user` can
// change them while the engine runs (SQLite WAL) and the engine sees it at
// the next request.
//
// Secrets never reach the database: a session's cookie value and a token's
// text are stored as their SHA-256 digests, found again by digest. What the
// database (and the audit log) calls a session or token "id" is a separate
// short public id that cannot be used to authenticate.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "admin/principal.hpp"

namespace artery::sqlite {
class Connection;
}

namespace artery::admin {

// A request the store refuses (unknown user, name taken, short password,
// the last admin): the message is meant for the person who asked.
class AccountError : public std::runtime_error {
 public:
  enum class Kind { invalid, not_found, conflict };
  AccountError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

struct UserAccount {
  std::string name;
  Role role = Role::viewer;
  bool disabled = false;  // a disabled user cannot log in; his tokens stop working
  std::int64_t created_ms = 0;
  std::int64_t password_changed_ms = 0;
};

// How long a session lives: `idle` after its last use (each use slides it),
// and never more than `absolute` after the login.
struct SessionLifetime {
  std::chrono::milliseconds idle = std::chrono::hours(8);
  std::chrono::milliseconds absolute = std::chrono::hours(24);
};

struct SessionInfo {
  std::string id;  // public id (audit, logout); not the cookie value
  std::string user;
  Role role = Role::viewer;  // the user's role now, not at login
  std::string csrf_token;
  std::int64_t created_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t expires_ms = 0;  // when it ends if not used again: min(last use + idle, created + absolute)
};

struct OpenedSession {
  std::string secret;  // the cookie value: only here, never stored
  SessionInfo info;
};

struct ApiTokenInfo {
  std::string id;    // public id, e.g. "t3f9a0c2e1b7d4a58"
  std::string name;  // what the user called it ("nightly export")
  std::string user;
  Role role = Role::viewer;  // its user's role now
  std::int64_t created_ms = 0;
  std::int64_t last_used_ms = 0;  // 0: never used
  std::int64_t expires_ms = 0;    // 0: does not expire
};

struct CreatedApiToken {
  std::string secret;  // "artery_<43 characters>": shown once, never stored
  ApiTokenInfo info;
};

class AccountStore {
 public:
  // Opens (and creates the tables in) the store's database file. Throws
  // std::runtime_error when it cannot.
  explicit AccountStore(const std::filesystem::path& database, SessionLifetime lifetime = {});
  ~AccountStore();
  AccountStore(const AccountStore&) = delete;
  AccountStore& operator=(const AccountStore&) = delete;

  const SessionLifetime& session_lifetime() const noexcept { return lifetime_; }

  // ---- users. Every method is thread-safe. Refusals throw AccountError. ----
  std::size_t user_count();
  std::size_t admin_count();         // enabled admins
  std::vector<UserAccount> users();  // by name
  std::optional<UserAccount> user(std::string_view name);
  // Names: 1-64 letters, digits, '.', '_', '-', '@'. Passwords: at least
  // kPasswordMinLength characters.
  UserAccount add_user(const std::string& name, Role role, std::string_view password);
  // Revokes every session of the user (a stolen session ends with the
  // password); returns how many. API tokens stay: they are revoked one by one.
  std::size_t set_password(const std::string& name, std::string_view password);
  // Refuses to take the admin role from the last enabled admin.
  void set_role(const std::string& name, Role role);
  // Disabling revokes the user's sessions; refused for the last enabled admin.
  void set_disabled(const std::string& name, bool disabled);
  // Removes the user with his sessions and tokens; refused for the last admin.
  void remove_user(const std::string& name);
  // The user when the name and password are right and he is not disabled;
  // nullopt otherwise, after the same time whatever was wrong.
  std::optional<UserAccount> check_password(std::string_view name, std::string_view password);
  // Why a password is not acceptable, or "" when it is.
  static std::string password_problem(std::string_view password);

  // ---- sessions ----
  // Throws AccountError(not_found) for an unknown or disabled user.
  OpenedSession open_session(const std::string& user);
  // The live session with this cookie value, its last use moved to now;
  // nullopt when unknown, revoked, expired (idle or absolute) or its user is
  // disabled or gone.
  std::optional<SessionInfo> use_session(std::string_view secret);
  bool close_session(std::string_view id);  // logout; false when there was none
  std::size_t close_sessions_of(std::string_view user);
  std::vector<SessionInfo> sessions_of(std::string_view user);  // live ones, newest first

  // ---- API tokens ----
  // `lifetime` 0: the token does not expire. Throws AccountError(not_found)
  // for an unknown user, (invalid) for an empty or too long name.
  CreatedApiToken create_token(const std::string& user, const std::string& name,
                               std::chrono::milliseconds lifetime = std::chrono::milliseconds(0));
  // The live token with this text, its last use moved to now; nullopt when
  // unknown, revoked, expired or its user disabled.
  std::optional<ApiTokenInfo> use_token(std::string_view secret);
  std::optional<ApiTokenInfo> token(std::string_view id);
  std::vector<ApiTokenInfo> tokens(std::string_view user = {});  // "" = everybody's; newest first
  bool revoke_token(std::string_view id);                        // false when there was none

 private:
  std::optional<UserAccount> user_locked(std::string_view name);
  std::size_t admin_count_locked();
  std::size_t close_sessions_locked(std::string_view user);
  void require_user_locked(const std::string& name);

  SessionLifetime lifetime_;
  std::mutex mutex_;
  std::unique_ptr<sqlite::Connection> connection_;
};

}  // namespace artery::admin
