#include "admin/account_store.hpp"

#include "clock/unix_time.hpp"

#include <algorithm>

#include "admin/password_hash.hpp"
#include "admin/secret_token.hpp"
#include "store/sqlite_connection.hpp"

namespace artery::admin {
namespace {

constexpr std::size_t kMaxNameLength = 64;
constexpr std::size_t kMaxPasswordLength = 1024;  // PBKDF2 hashes any length; this keeps bodies small
constexpr std::string_view kTokenPrefix = "artery_";

// A transaction that rolls back unless committed. IMMEDIATE: take the write
// lock first, so a check ("is this the last admin?") and the change it guards
// see the same database even when `artery user` runs beside the engine.
class WriteTransaction {
 public:
  explicit WriteTransaction(sqlite::Connection& connection) : connection_(connection) {
    connection_.exec("BEGIN IMMEDIATE");
  }
  ~WriteTransaction() {
    if (!committed_) {
      try {
        connection_.exec("ROLLBACK");
      } catch (...) {
      }
    }
  }
  void commit() {
    connection_.exec("COMMIT");
    committed_ = true;
  }

 private:
  sqlite::Connection& connection_;
  bool committed_ = false;
};

std::string name_problem(std::string_view name) {
  if (name.empty()) return "a user name cannot be empty";
  if (name.size() > kMaxNameLength) return "a user name has at most 64 characters";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-' || c == '@';
    if (!ok) return "a user name has letters, digits, '.', '_', '-' and '@' only, not '" + std::string(1, c) + "'";
  }
  return "";
}

Role role_from(const std::string& text) { return parse_role(text).value_or(Role::viewer); }

}  // namespace

AccountStore::AccountStore(const std::filesystem::path& database, SessionLifetime lifetime) : lifetime_(lifetime) {
  try {
    connection_ = sqlite::Connection::open(database, false);
    // The message writer holds the write lock for a batch at a time (milliseconds).
    connection_->exec("PRAGMA busy_timeout = 10000");
    // The CLI may open the file first: the engine's store expects WAL anyway.
    connection_->exec("PRAGMA journal_mode = WAL");
    // admin_*: the store's schema has an older, unused `users` table of
    // another shape; these tables are the accounts' own.
    connection_->exec(
        "CREATE TABLE IF NOT EXISTS admin_users ("
        " name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
        " disabled INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, password_changed_ms INTEGER NOT NULL);"
        "CREATE TABLE IF NOT EXISTS admin_sessions ("
        " id TEXT PRIMARY KEY, secret_digest TEXT NOT NULL UNIQUE, user TEXT NOT NULL, csrf_token TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS admin_sessions_by_user ON admin_sessions(user);"
        "CREATE TABLE IF NOT EXISTS admin_tokens ("
        " id TEXT PRIMARY KEY, secret_digest TEXT NOT NULL UNIQUE, name TEXT NOT NULL, user TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL, last_used_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
        "CREATE INDEX IF NOT EXISTS admin_tokens_by_user ON admin_tokens(user);");
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot open the user accounts in " + database.string() + ": " + e.what());
  }
}

AccountStore::~AccountStore() = default;

std::string AccountStore::password_problem(std::string_view password) {
  if (password.size() < kPasswordMinLength)
    return "a password needs at least " + std::to_string(kPasswordMinLength) + " characters";
  if (password.size() > kMaxPasswordLength) return "a password has at most 1024 characters";
  return "";
}

// ---- users ----

std::size_t AccountStore::user_count() {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::stoll(connection_->query_text("SELECT count(*) FROM admin_users")));
}

std::size_t AccountStore::admin_count() {
  std::lock_guard lock(mutex_);
  return admin_count_locked();
}

std::size_t AccountStore::admin_count_locked() {
  return static_cast<std::size_t>(
      std::stoll(connection_->query_text("SELECT count(*) FROM admin_users WHERE role = 'admin' AND disabled = 0")));
}

std::vector<UserAccount> AccountStore::users() {
  std::lock_guard lock(mutex_);
  sqlite::StatementUse select(connection_->statement(
      "SELECT name, role, disabled, created_ms, password_changed_ms FROM admin_users ORDER BY name"));
  std::vector<UserAccount> out;
  while (select->step()) {
    out.push_back({select->string_at(0), role_from(select->string_at(1)), select->int64_at(2) != 0, select->int64_at(3),
                   select->int64_at(4)});
  }
  return out;
}

std::optional<UserAccount> AccountStore::user(std::string_view name) {
  std::lock_guard lock(mutex_);
  return user_locked(name);
}

std::optional<UserAccount> AccountStore::user_locked(std::string_view name) {
  sqlite::StatementUse select(connection_->statement(
      "SELECT name, role, disabled, created_ms, password_changed_ms FROM admin_users WHERE name = ?1"));
  select->bind_text(1, name);
  if (!select->step()) return std::nullopt;
  return UserAccount{select->string_at(0), role_from(select->string_at(1)), select->int64_at(2) != 0,
                     select->int64_at(3), select->int64_at(4)};
}

void AccountStore::require_user_locked(const std::string& name) {
  if (!user_locked(name)) throw AccountError(AccountError::Kind::not_found, "no user '" + name + "'");
}

UserAccount AccountStore::add_user(const std::string& name, Role role, std::string_view password) {
  if (auto problem = name_problem(name); !problem.empty()) throw AccountError(AccountError::Kind::invalid, problem);
  if (auto problem = password_problem(password); !problem.empty())
    throw AccountError(AccountError::Kind::invalid, problem);
  const std::string hash = hash_password(password);  // outside the lock: it takes a while
  std::lock_guard lock(mutex_);
  if (user_locked(name)) throw AccountError(AccountError::Kind::conflict, "user '" + name + "' exists already");
  const std::int64_t now = unix_time_ms();
  sqlite::StatementUse insert(connection_->statement(
      "INSERT INTO admin_users (name, role, password_hash, disabled, created_ms, password_changed_ms)"
      " VALUES (?1, ?2, ?3, 0, ?4, ?4)"));
  insert->bind_text(1, name);
  insert->bind_text(2, role_name(role));
  insert->bind_text(3, hash);
  insert->bind(4, now);
  try {
    insert->run();
  } catch (const sqlite::Error&) {
    // Added by another process (`artery user add`) since the check above.
    if (user_locked(name)) throw AccountError(AccountError::Kind::conflict, "user '" + name + "' exists already");
    throw;
  }
  return {name, role, false, now, now};
}

std::size_t AccountStore::set_password(const std::string& name, std::string_view password) {
  if (auto problem = password_problem(password); !problem.empty())
    throw AccountError(AccountError::Kind::invalid, problem);
  const std::string hash = hash_password(password);
  std::lock_guard lock(mutex_);
  WriteTransaction transaction(*connection_);
  require_user_locked(name);
  sqlite::StatementUse update(
      connection_->statement("UPDATE admin_users SET password_hash = ?2, password_changed_ms = ?3 WHERE name = ?1"));
  update->bind_text(1, name);
  update->bind_text(2, hash);
  update->bind(3, unix_time_ms());
  update->run();
  std::size_t revoked = close_sessions_locked(name);
  transaction.commit();
  return revoked;
}

void AccountStore::set_role(const std::string& name, Role role) {
  std::lock_guard lock(mutex_);
  WriteTransaction transaction(*connection_);
  auto account = user_locked(name);
  if (!account) throw AccountError(AccountError::Kind::not_found, "no user '" + name + "'");
  if (account->role == Role::admin && role != Role::admin && !account->disabled && admin_count_locked() <= 1)
    throw AccountError(AccountError::Kind::conflict, "'" + name + "' is the last admin: make another user admin first");
  sqlite::StatementUse update(connection_->statement("UPDATE admin_users SET role = ?2 WHERE name = ?1"));
  update->bind_text(1, name);
  update->bind_text(2, role_name(role));
  update->run();
  transaction.commit();
}

void AccountStore::set_disabled(const std::string& name, bool disabled) {
  std::lock_guard lock(mutex_);
  WriteTransaction transaction(*connection_);
  auto account = user_locked(name);
  if (!account) throw AccountError(AccountError::Kind::not_found, "no user '" + name + "'");
  if (disabled && account->role == Role::admin && !account->disabled && admin_count_locked() <= 1)
    throw AccountError(AccountError::Kind::conflict, "'" + name + "' is the last admin: make another user admin first");
  sqlite::StatementUse update(connection_->statement("UPDATE admin_users SET disabled = ?2 WHERE name = ?1"));
  update->bind_text(1, name);
  update->bind(2, disabled ? 1 : 0);
  update->run();
  if (disabled) close_sessions_locked(name);
  transaction.commit();
}

void AccountStore::remove_user(const std::string& name) {
  std::lock_guard lock(mutex_);
  WriteTransaction transaction(*connection_);
  auto account = user_locked(name);
  if (!account) throw AccountError(AccountError::Kind::not_found, "no user '" + name + "'");
  if (account->role == Role::admin && !account->disabled && admin_count_locked() <= 1)
    throw AccountError(AccountError::Kind::conflict, "'" + name + "' is the last admin: make another user admin first");
  for (const char* sql : {"DELETE FROM admin_users WHERE name = ?1", "DELETE FROM admin_sessions WHERE user = ?1",
                          "DELETE FROM admin_tokens WHERE user = ?1"}) {
    sqlite::StatementUse remove(connection_->statement(sql));
    remove->bind_text(1, name);
    remove->run();
  }
  transaction.commit();
}

std::optional<UserAccount> AccountStore::check_password(std::string_view name, std::string_view password) {
  std::optional<UserAccount> account;
  std::string hash;
  {
    std::lock_guard lock(mutex_);
    sqlite::StatementUse select(
        connection_->statement("SELECT name, role, disabled, created_ms, password_changed_ms, password_hash FROM "
                               "admin_users WHERE name = ?1"));
    select->bind_text(1, name);
    if (select->step()) {
      account = UserAccount{select->string_at(0), role_from(select->string_at(1)), select->int64_at(2) != 0,
                            select->int64_at(3), select->int64_at(4)};
      hash = select->string_at(5);
    }
  }
  // The hash is computed whatever is wrong, so that the time taken does not
  // tell an unknown user from a wrong password.
  if (!account || password.size() > kMaxPasswordLength) {
    spend_password_check(password.substr(0, kMaxPasswordLength));
    return std::nullopt;
  }
  if (!verify_password(password, hash) || account->disabled) return std::nullopt;
  return account;
}

// ---- sessions ----

OpenedSession AccountStore::open_session(const std::string& user) {
  OpenedSession opened;
  opened.secret = random_secret(32);
  opened.info.id = random_hex(8);
  opened.info.csrf_token = random_secret(24);
  opened.info.user = user;
  const std::int64_t now = unix_time_ms();
  opened.info.created_ms = opened.info.last_seen_ms = now;
  opened.info.expires_ms = now + std::min(lifetime_.idle, lifetime_.absolute).count();

  std::lock_guard lock(mutex_);
  auto account = user_locked(user);
  if (!account || account->disabled)
    throw AccountError(AccountError::Kind::not_found, "no user '" + user + "' to log in");
  opened.info.role = account->role;
  {
    // Sessions nobody ended: gone once past their lifetime, so the table
    // holds live sessions only.
    sqlite::StatementUse purge(
        connection_->statement("DELETE FROM admin_sessions WHERE last_seen_ms < ?1 OR created_ms < ?2"));
    purge->bind(1, now - lifetime_.idle.count());
    purge->bind(2, now - lifetime_.absolute.count());
    purge->run();
  }
  sqlite::StatementUse insert(connection_->statement(
      "INSERT INTO admin_sessions (id, secret_digest, user, csrf_token, created_ms, last_seen_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?5)"));
  const std::string digest = secret_digest(opened.secret);
  insert->bind_text(1, opened.info.id);
  insert->bind_text(2, digest);
  insert->bind_text(3, user);
  insert->bind_text(4, opened.info.csrf_token);
  insert->bind(5, now);
  insert->run();
  return opened;
}

std::optional<SessionInfo> AccountStore::use_session(std::string_view secret) {
  if (secret.empty() || secret.size() > 128) return std::nullopt;
  const std::string digest = secret_digest(secret);
  const std::int64_t now = unix_time_ms();
  std::lock_guard lock(mutex_);
  SessionInfo info;
  {
    sqlite::StatementUse select(connection_->statement(
        "SELECT s.id, s.user, u.role, s.csrf_token, s.created_ms, s.last_seen_ms FROM admin_sessions s"
        " JOIN admin_users u ON u.name = s.user WHERE s.secret_digest = ?1 AND u.disabled = 0"));
    select->bind_text(1, digest);
    if (!select->step()) return std::nullopt;
    info = {select->string_at(0),
            select->string_at(1),
            role_from(select->string_at(2)),
            select->string_at(3),
            select->int64_at(4),
            select->int64_at(5),
            0};
  }
  const std::int64_t absolute_end = info.created_ms + lifetime_.absolute.count();
  if (now >= info.last_seen_ms + lifetime_.idle.count() || now >= absolute_end) {
    sqlite::StatementUse remove(connection_->statement("DELETE FROM admin_sessions WHERE id = ?1"));
    remove->bind_text(1, info.id);
    remove->run();
    return std::nullopt;
  }
  // Sliding the idle expiry is a write; one every tenth of the idle time
  // (at most a minute) is precise enough and keeps reads cheap.
  const std::int64_t slide_step = std::min<std::int64_t>(lifetime_.idle.count() / 10, 60'000);
  if (now - info.last_seen_ms >= slide_step) {
    sqlite::StatementUse touch(connection_->statement("UPDATE admin_sessions SET last_seen_ms = ?2 WHERE id = ?1"));
    touch->bind_text(1, info.id);
    touch->bind(2, now);
    touch->run();
    info.last_seen_ms = now;
  }
  info.expires_ms = std::min(info.last_seen_ms + lifetime_.idle.count(), absolute_end);
  return info;
}

bool AccountStore::close_session(std::string_view id) {
  std::lock_guard lock(mutex_);
  sqlite::StatementUse remove(connection_->statement("DELETE FROM admin_sessions WHERE id = ?1"));
  remove->bind_text(1, id);
  remove->run();
  return connection_->changes() > 0;
}

std::size_t AccountStore::close_sessions_of(std::string_view user) {
  std::lock_guard lock(mutex_);
  return close_sessions_locked(user);
}

std::size_t AccountStore::close_sessions_locked(std::string_view user) {
  sqlite::StatementUse remove(connection_->statement("DELETE FROM admin_sessions WHERE user = ?1"));
  remove->bind_text(1, user);
  remove->run();
  return static_cast<std::size_t>(connection_->changes());
}

std::vector<SessionInfo> AccountStore::sessions_of(std::string_view user) {
  const std::int64_t now = unix_time_ms();
  std::lock_guard lock(mutex_);
  sqlite::StatementUse select(connection_->statement(
      "SELECT s.id, s.user, u.role, s.csrf_token, s.created_ms, s.last_seen_ms FROM admin_sessions s"
      " JOIN admin_users u ON u.name = s.user WHERE s.user = ?1 ORDER BY s.created_ms DESC"));
  select->bind_text(1, user);
  std::vector<SessionInfo> out;
  while (select->step()) {
    SessionInfo info{select->string_at(0),
                     select->string_at(1),
                     role_from(select->string_at(2)),
                     select->string_at(3),
                     select->int64_at(4),
                     select->int64_at(5),
                     0};
    info.expires_ms =
        std::min(info.last_seen_ms + lifetime_.idle.count(), info.created_ms + lifetime_.absolute.count());
    if (info.expires_ms > now) out.push_back(std::move(info));
  }
  return out;
}

// ---- API tokens ----

namespace {

ApiTokenInfo token_from(sqlite::Statement& row) {
  // id, name, user, role, created_ms, last_used_ms, expires_ms
  return {row.string_at(0), row.string_at(1), row.string_at(2), role_from(row.string_at(3)),
          row.int64_at(4),  row.int64_at(5),  row.int64_at(6)};
}

constexpr const char* kTokenColumns =
    "SELECT t.id, t.name, t.user, u.role, t.created_ms, t.last_used_ms, t.expires_ms FROM admin_tokens t"
    " JOIN admin_users u ON u.name = t.user";

}  // namespace

CreatedApiToken AccountStore::create_token(const std::string& user, const std::string& name,
                                           std::chrono::milliseconds lifetime) {
  if (name.empty() || name.size() > 100)
    throw AccountError(AccountError::Kind::invalid, "a token needs a name of 1 to 100 characters");
  if (lifetime.count() < 0) throw AccountError(AccountError::Kind::invalid, "a token's lifetime cannot be negative");
  CreatedApiToken created;
  created.secret = std::string(kTokenPrefix) + random_secret(32);
  const std::int64_t now = unix_time_ms();
  created.info = {"t" + random_hex(8), name, user, Role::viewer, now, 0, lifetime.count() ? now + lifetime.count() : 0};
  std::lock_guard lock(mutex_);
  auto account = user_locked(user);
  if (!account) throw AccountError(AccountError::Kind::not_found, "no user '" + user + "'");
  created.info.role = account->role;
  sqlite::StatementUse insert(connection_->statement(
      "INSERT INTO admin_tokens (id, secret_digest, name, user, created_ms, last_used_ms, expires_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)"));
  const std::string digest = secret_digest(created.secret);
  insert->bind_text(1, created.info.id);
  insert->bind_text(2, digest);
  insert->bind_text(3, name);
  insert->bind_text(4, user);
  insert->bind(5, now);
  insert->bind(6, created.info.expires_ms);
  insert->run();
  return created;
}

std::optional<ApiTokenInfo> AccountStore::use_token(std::string_view secret) {
  if (secret.size() <= kTokenPrefix.size() || secret.size() > 128 ||
      secret.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return std::nullopt;
  const std::string digest = secret_digest(secret);
  const std::int64_t now = unix_time_ms();
  std::lock_guard lock(mutex_);
  std::optional<ApiTokenInfo> info;
  {
    sqlite::StatementUse select(
        connection_->statement(std::string(kTokenColumns) + " WHERE t.secret_digest = ?1 AND u.disabled = 0"));
    select->bind_text(1, digest);
    if (!select->step()) return std::nullopt;
    info = token_from(*select);
  }
  if (info->expires_ms != 0 && now >= info->expires_ms) return std::nullopt;
  // Once a minute is enough to answer "is this token still used?".
  if (now - info->last_used_ms >= 60'000) {
    sqlite::StatementUse touch(connection_->statement("UPDATE admin_tokens SET last_used_ms = ?2 WHERE id = ?1"));
    touch->bind_text(1, info->id);
    touch->bind(2, now);
    touch->run();
    info->last_used_ms = now;
  }
  return info;
}

std::optional<ApiTokenInfo> AccountStore::token(std::string_view id) {
  std::lock_guard lock(mutex_);
  sqlite::StatementUse select(connection_->statement(std::string(kTokenColumns) + " WHERE t.id = ?1"));
  select->bind_text(1, id);
  if (!select->step()) return std::nullopt;
  return token_from(*select);
}

std::vector<ApiTokenInfo> AccountStore::tokens(std::string_view user) {
  std::lock_guard lock(mutex_);
  sqlite::StatementUse select(connection_->statement(std::string(kTokenColumns) +
                                                     " WHERE ?1 = '' OR t.user = ?1 ORDER BY t.created_ms DESC, t.id"));
  select->bind_text(1, user);
  std::vector<ApiTokenInfo> out;
  while (select->step()) out.push_back(token_from(*select));
  return out;
}

bool AccountStore::revoke_token(std::string_view id) {
  std::lock_guard lock(mutex_);
  sqlite::StatementUse remove(connection_->statement("DELETE FROM admin_tokens WHERE id = ?1"));
  remove->bind_text(1, id);
  remove->run();
  return connection_->changes() > 0;
}

}  // namespace artery::admin
