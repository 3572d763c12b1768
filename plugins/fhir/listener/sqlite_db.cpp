#include "listener/sqlite_db.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace artery::fhir {

SqliteDb::SqliteDb(const std::filesystem::path& file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("fhir repository " + file.string() + ": " + why);
  }
  sqlite3_busy_timeout(db_, 10'000);
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, kept] : kept_) sqlite3_finalize(kept.stmt);
  sqlite3_close(db_);
}

SqliteDb::Kept* SqliteDb::take_kept(std::string_view sql) {
  auto it = kept_.find(std::string(sql));
  if (it == kept_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("fhir repository: ") + sqlite3_errmsg(db_));
    it = kept_.emplace(std::string(sql), Kept{stmt, false}).first;
  }
  if (it->second.in_use) return nullptr;
  it->second.in_use = true;
  return &it->second;  // unordered_map nodes do not move
}

void SqliteDb::give_back_kept(Kept& kept) noexcept {
  sqlite3_reset(kept.stmt);
  sqlite3_clear_bindings(kept.stmt);
  kept.in_use = false;
}

void SqliteDb::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string why = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw std::runtime_error("fhir repository: " + why);
  }
}

SqliteStatement::SqliteStatement(SqliteDb& db, std::string_view sql, Prepared how) : db_(db.handle()) {
  if (how == Prepared::kept && (kept_ = db.take_kept(sql))) {
    stmt_ = kept_->stmt;
    return;
  }
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("fhir repository: ") + sqlite3_errmsg(db_));
}

SqliteStatement::~SqliteStatement() {
  if (kept_)
    SqliteDb::give_back_kept(*kept_);
  else
    sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

SqliteStatement& SqliteStatement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

bool SqliteStatement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw std::runtime_error(std::string("fhir repository: ") + sqlite3_errmsg(db_));
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string SqliteStatement::text(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_BLOB) {
    const auto* b = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return b ? std::string(b, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
  }
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

std::int64_t SqliteStatement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool SqliteStatement::is_blob(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_BLOB; }

bool SqliteStatement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

}  // namespace artery::fhir
