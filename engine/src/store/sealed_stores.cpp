#include "store/sealed_stores.hpp"

#include "clock/unix_time.hpp"
#include "log/logger.hpp"

#include <sqlite3.h>

#include <memory>

namespace artery {
namespace {

constexpr const char* kTable =
    "CREATE TABLE IF NOT EXISTS sealed_stores (store TEXT PRIMARY KEY, key_id INTEGER NOT NULL, "
    "reported_ms INTEGER NOT NULL)";

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Connection = std::unique_ptr<sqlite3, Closer>;

Connection open(const std::filesystem::path& file, std::string& error) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    error = raw ? sqlite3_errmsg(raw) : "cannot open";
    return nullptr;
  }
  sqlite3_busy_timeout(raw, 10'000);  // the store writer's transactions are short
  char* message = nullptr;
  if (sqlite3_exec(raw, kTable, nullptr, nullptr, &message) != SQLITE_OK) {
    error = message ? message : "cannot create sealed_stores";
    sqlite3_free(message);
    return nullptr;
  }
  return db;
}

}  // namespace

void SealedStores::report(const std::string& store, std::uint32_t key_id) {
  std::string error;
  auto db = open(db_, error);
  sqlite3_stmt* put = nullptr;
  if (db && sqlite3_prepare_v2(db.get(),
                               "INSERT INTO sealed_stores (store, key_id, reported_ms) VALUES (?1, ?2, ?3) "
                               "ON CONFLICT (store) DO UPDATE SET key_id = ?2, reported_ms = ?3",
                               -1, &put, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(put, 1, store.data(), static_cast<int>(store.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(put, 2, key_id);
    sqlite3_bind_int64(put, 3, unix_time_ms());
    if (sqlite3_step(put) != SQLITE_DONE) error = sqlite3_errmsg(db.get());
  } else if (db) {
    error = sqlite3_errmsg(db.get());
  }
  sqlite3_finalize(put);
  // Not fatal for the reporter: a rotation then keeps waiting for it, and says so.
  if (!error.empty()) logger::error("store", "cannot record that " + store + " is re-sealed: " + error);
}

std::vector<std::string> SealedStores::holding(std::uint32_t current) const {
  std::string error;
  auto db = open(db_, error);
  std::vector<std::string> out;
  sqlite3_stmt* get = nullptr;
  if (db && sqlite3_prepare_v2(db.get(), "SELECT store FROM sealed_stores WHERE key_id != ?1 ORDER BY store", -1,
                               &get, nullptr) == SQLITE_OK) {
    sqlite3_bind_int64(get, 1, current);
    while (sqlite3_step(get) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(get, 0)));
  } else {
    // Unknown is not "none": the old keys stay until it can be read.
    out.push_back("(sealed_stores cannot be read: " + (db ? std::string(sqlite3_errmsg(db.get())) : error) + ")");
  }
  sqlite3_finalize(get);
  return out;
}

}  // namespace artery
