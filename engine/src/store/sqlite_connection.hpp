// One sqlite3 connection with its cache of prepared statements. A connection
// is used by one thread at a time (opened NOMUTEX), so nothing here locks.
#pragma once
#include "store/sqlite_statement.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace artery::sqlite {

class Connection {
 public:
  // Throws Error when the file cannot be opened.
  static std::unique_ptr<Connection> open(const std::filesystem::path& file, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const std::string& sql);
  // A statement prepared once and kept for the life of the connection.
  Statement& statement(const std::string& sql);
  // The first column of the first row as text ("" when there is no row).
  std::string query_text(const std::string& sql);

  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace artery::sqlite
