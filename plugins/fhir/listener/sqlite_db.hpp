// A small RAII face on SQLite for the repository: one connection, prepared
// statements with positional binds. Errors throw std::runtime_error with
// SQLite's message, so a failed write rolls back and is answered 500.
//
// The statements every request runs (the writes, a read by id, BEGIN and
// COMMIT) are `kept`: prepared once per connection and reused. Compiling
// the SQL of a read by id cost about as much as running it: reads went from
// ~9k to ~15k/s on one connection when they stopped preparing per call.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace artery::fhir {

class SqliteDb {
 public:
  explicit SqliteDb(const std::filesystem::path& file);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const char* sql);
  sqlite3* handle() const noexcept { return db_; }

 private:
  friend class SqliteStatement;
  struct Kept {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  // The kept statement for `sql`, prepared on first use; null when it is
  // already in use (a nested use of the same SQL prepares its own).
  Kept* take_kept(std::string_view sql);
  static void give_back_kept(Kept& kept) noexcept;

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, Kept> kept_;
};

class SqliteStatement {
 public:
  // once: SQL built per call (searches); kept: fixed SQL run often (see above).
  enum class Prepared { once, kept };
  SqliteStatement(SqliteDb& db, std::string_view sql, Prepared how = Prepared::once);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // 1-based, as SQLite counts.
  SqliteStatement& bind(int index, std::string_view text);
  SqliteStatement& bind(int index, std::int64_t value);
  // Bytes that are not text (sealed resources, keyed hashes): a BLOB, which
  // SQL's typeof() tells apart from the TEXT written before encryption.
  SqliteStatement& bind_blob(int index, std::string_view bytes);
  SqliteStatement& bind_null(int index);
  // True while there is a row.
  bool step();
  void reset();

  // A TEXT or BLOB column's bytes.
  std::string text(int column) const;
  bool is_blob(int column) const;
  std::int64_t integer(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  SqliteDb::Kept* kept_ = nullptr;
};

}  // namespace artery::fhir
