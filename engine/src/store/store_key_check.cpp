#include "store/store_key_check.hpp"

#include "crypto/value_keys.hpp"
#include "store/sealed_values.hpp"
#include "store/sqlite_connection.hpp"

#include <sqlite3.h>

#include <cstdlib>

namespace artery {
namespace {

constexpr std::string_view kCheckText = "artery store key check";

// store_keys of an existing store, read without writing anything (a
// read-only connection neither checkpoints nor creates tables).
bool read_checks(const std::filesystem::path& db, std::vector<std::pair<std::uint32_t, std::string>>& out,
                 std::string& error) {
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) return true;
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    error = "cannot read the store " + db.string() + " to check its keys: " + sqlite3_errmsg(handle);
    sqlite3_close(handle);
    return false;
  }
  sqlite3_busy_timeout(handle, 10000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(handle, "SELECT key_id, check_value FROM store_keys", -1, &st, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(handle);
    sqlite3_close(handle);
    if (message.find("no such table") != std::string::npos) return true;  // an older store: nothing sealed
    error = "cannot read the store " + db.string() + " to check its keys: " + message;
    return false;
  }
  {
    while (sqlite3_step(st) == SQLITE_ROW) {
      const void* blob = sqlite3_column_blob(st, 1);
      const int size = sqlite3_column_bytes(st, 1);
      out.emplace_back(static_cast<std::uint32_t>(sqlite3_column_int64(st, 0)),
                       blob ? std::string(static_cast<const char*>(blob), static_cast<std::size_t>(size)) : "");
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(handle);
  return true;
}

std::string id_list(const std::vector<std::pair<std::uint32_t, std::string>>& checks) {
  std::string out;
  for (const auto& check : checks) out += (out.empty() ? "" : ", ") + crypto::key_id_text(check.first);
  return out;
}

}  // namespace

std::string key_check_value(const ValueCipher& cipher, std::uint32_t key_id) {
  return cipher.seal(kCheckText, sealed::key_check_row(key_id));
}

std::optional<StoreKeys> check_store_keys(const std::filesystem::path& db, const StoreEncryption& encryption,
                                          std::string& error) {
  StoreKeys out;
  out.key_file = encryption.key_file.empty() ? db.parent_path() / "artery.key" : encryption.key_file;
  std::vector<std::pair<std::uint32_t, std::string>> checks;
  if (!read_checks(db, checks, error)) return std::nullopt;
  for (const auto& check : checks) out.sealed_with.push_back(check.first);
  const char* env = std::getenv("ARTERY_KEY");
  const bool from_environment = env && *env;

  if (!encryption.encrypt) {
    if (!checks.empty()) {
      error = "the store " + db.string() + " holds values sealed with key " + id_list(checks) +
              ": turn encryption on (storage: {encrypt: true}) with its key in " +
              (from_environment ? std::string("ARTERY_KEY") : "the key file " + out.key_file.string()) +
              " (an encrypted store cannot be turned back into a plain one)";
      return std::nullopt;
    }
    return out;
  }
  std::error_code ec;
  if (!checks.empty() && !from_environment && !std::filesystem::exists(out.key_file, ec)) {
    error = "missing key: the store " + db.string() + " holds values sealed with key " + id_list(checks) +
            ", and the key file " + out.key_file.string() +
            " does not exist (ARTERY_KEY is not set either); nothing was changed";
    return std::nullopt;
  }
  auto loaded = crypto::load_value_keys(out.key_file, error);
  if (!loaded) return std::nullopt;
  ValueCipher cipher(loaded->keys);
  for (const auto& [id, check] : checks) {
    const std::string key = crypto::key_id_text(id);
    if (!loaded->keys->find(id)) {
      error = "wrong key: the store " + db.string() + " holds values sealed with key " + key + ", which " +
              loaded->source + " does not hold; nothing was changed";
      return std::nullopt;
    }
    try {
      if (cipher.open(check, sealed::key_check_row(id)) != kCheckText) throw ValueTampered("check text differs");
    } catch (const ValueTampered&) {
      error = "wrong key: key " + key + " from " + loaded->source + " does not open the store " + db.string() +
              " (its check value fails authentication); nothing was changed";
      return std::nullopt;
    }
  }
  out.loaded = std::move(*loaded);
  return out;
}

}  // namespace artery
