// A small RAII wrapper for sqlite3_stmt. Failures throw sqlite::Error so that
// the store's code reads as a sequence of statements; the writer turns an
// exception into the error of its whole batch, readers let it propagate.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace artery::sqlite {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    // PERSISTENT: these statements are cached for the connection's lifetime.
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt_, nullptr);
    if (rc != SQLITE_OK) {
      throw Error("cannot prepare SQL (" + std::string(sqlite3_errmsg(db)) + "): " + std::string(sql));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Text and blob bindings are SQLITE_STATIC: the caller keeps the bytes alive
  // until reset(), which every use does through StatementUse.
  void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(stmt_, index, value)); }
  // Empty values bind as '' and zero-length blobs, never NULL (SQLite binds
  // NULL for a null pointer, and data() of an empty string_view may be one).
  void bind_text(int index, std::string_view value) {
    check(sqlite3_bind_text(stmt_, index, value.empty() ? &empty_ : value.data(), static_cast<int>(value.size()),
                            SQLITE_STATIC));
  }
  void bind_blob(int index, std::string_view value) {
    check(sqlite3_bind_blob(stmt_, index, value.empty() ? &empty_ : value.data(), static_cast<int>(value.size()),
                            SQLITE_STATIC));
  }
  void bind_null(int index) { check(sqlite3_bind_null(stmt_, index)); }
  // The highest parameter number in the SQL (binding beyond it is an error).
  int parameter_count() const { return sqlite3_bind_parameter_count(stmt_); }

  // true: a row is ready; false: done.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(std::string(sqlite3_errmsg(db_)) + " (in: " + sqlite3_sql(stmt_) + ")");
  }
  void run() {
    while (step()) {
    }
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t int64_at(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool null_at(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string string_at(int column) const {
    // blob first, then bytes: the order SQLite documents for no conversion.
    const void* data = sqlite3_column_blob(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    return data ? std::string(static_cast<const char*>(data), static_cast<std::size_t>(size)) : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw Error(std::string("cannot bind parameter: ") + sqlite3_errstr(rc));
  }

  static constexpr char empty_ = 0;
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// One use of a cached statement: resets it at scope exit, which releases the
// read snapshot (a WAL reader left open would stall checkpoints) and the
// buffers bound to it.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : statement_(statement) {}
  ~StatementUse() { statement_.reset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  Statement* operator->() { return &statement_; }
  Statement& operator*() { return statement_; }

 private:
  Statement& statement_;
};

}  // namespace artery::sqlite
