// The start-up key check: before anything in the store is written, the keys
// from ARTERY_KEY or the key file must open the check value of every key
// that sealed values in it (table store_keys). A wrong key, a missing key
// file, or encryption turned off on an encrypted store refuses the start
// with a message naming the key source, and leaves every file as it was.
#pragma once
#include "crypto/key_source.hpp"
#include "store/message_store.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace artery {

struct StoreKeys {
  crypto::LoadedKeys loaded;  // keys null: encryption off
  std::filesystem::path key_file;
  std::vector<std::uint32_t> sealed_with;  // the ids in store_keys
};

// The check value written for each key: a known text sealed under it.
std::string key_check_value(const ValueCipher& cipher, std::uint32_t key_id);

// Reads store_keys from `db` (if it exists) on a read-only connection, loads
// the keys when `encryption.encrypt` (creating the key file only for a store
// with no sealed values), and checks them. nullopt with `error`.
std::optional<StoreKeys> check_store_keys(const std::filesystem::path& db, const StoreEncryption& encryption,
                                          std::string& error);

}  // namespace artery
