#include "store/audit_log.hpp"

#include "clock/unix_time.hpp"

#include "log/logger.hpp"
#include "store/sqlite_connection.hpp"

#include <algorithm>
#include <chrono>

namespace artery {
AuditLog::AuditLog(const std::filesystem::path& database) {
  try {
    connection_ = sqlite::Connection::open(database, false);
    // The message writer holds the write lock for a batch at a time (milliseconds).
    connection_->exec("PRAGMA busy_timeout = 10000");
    connection_->exec(
        "CREATE TABLE IF NOT EXISTS audit ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, user TEXT NOT NULL,"
        " action TEXT NOT NULL, channel TEXT NOT NULL, message_id INTEGER NOT NULL, address TEXT NOT NULL,"
        " ok INTEGER NOT NULL, detail TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS audit_by_user ON audit(user, id);"
        "CREATE INDEX IF NOT EXISTS audit_by_action ON audit(action, id);"
        // Append-only in the file too, not only through the API.
        "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
        "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
        " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;");
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot open the audit log in " + database.string() + ": " + e.what());
  }
}

AuditLog::~AuditLog() = default;

void AuditLog::record(AuditEntry entry) noexcept {
  try {
    if (entry.at_ms == 0) entry.at_ms = unix_time_ms();
    std::lock_guard lock(mutex_);
    sqlite::StatementUse insert(connection_->statement(
        "INSERT INTO audit (at_ms, user, action, channel, message_id, address, ok, detail)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    insert->bind(1, entry.at_ms);
    insert->bind_text(2, entry.user);
    insert->bind_text(3, entry.action);
    insert->bind_text(4, entry.channel);
    insert->bind(5, entry.message_id);
    insert->bind_text(6, entry.address);
    insert->bind(7, entry.ok ? 1 : 0);
    insert->bind_text(8, entry.detail);
    insert->run();
  } catch (const std::exception& e) {
    logger::error("audit", std::string("cannot record '") + entry.action + "' by '" + entry.user + "': " + e.what());
  }
}

std::vector<AuditEntry> AuditLog::list(const AuditQuery& query) {
  std::lock_guard lock(mutex_);
  sqlite::StatementUse select(connection_->statement(
      "SELECT id, at_ms, user, action, channel, message_id, address, ok, detail FROM audit"
      " WHERE (?1 = '' OR user = ?1)"
      "   AND (?2 = '' OR action = ?2 OR (substr(?2, -1) = '.' AND substr(action, 1, length(?2)) = ?2))"
      "   AND (?3 = '' OR channel = ?3) AND at_ms >= ?4 AND (?5 = 0 OR id < ?5)"
      " ORDER BY id DESC LIMIT ?6"));
  select->bind_text(1, query.user);
  select->bind_text(2, query.action);
  select->bind_text(3, query.channel);
  select->bind(4, query.since_ms);
  select->bind(5, query.before_id);
  select->bind(6, std::clamp(query.limit, 1, 1000));
  std::vector<AuditEntry> out;
  while (select->step()) {
    AuditEntry e;
    e.id = select->int64_at(0);
    e.at_ms = select->int64_at(1);
    e.user = select->string_at(2);
    e.action = select->string_at(3);
    e.channel = select->string_at(4);
    e.message_id = select->int64_at(5);
    e.address = select->string_at(6);
    e.ok = select->int64_at(7) != 0;
    e.detail = select->string_at(8);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace artery
