// What the stores outside the engine's own (a plugin's repository) said of
// their values through ValueCipher::report_store_sealed(): the key that
// seals all of them. Kept in the engine's database, table sealed_stores, so
// a repository whose channel is not running still holds a key rotation's
// old keys until it has re-sealed (KeyPass waits for it), instead of being
// left unreadable when the key file forgets them.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace artery {

class SealedStores {
 public:
  explicit SealedStores(std::filesystem::path db) : db_(std::move(db)) {}

  // Rare (a repository's sealing pass ends): its own short connection, so
  // the caller's thread never waits for the store writer's queue.
  void report(const std::string& store, std::uint32_t key_id);
  // The stores whose last report names another key than `current`.
  std::vector<std::string> holding(std::uint32_t current) const;

 private:
  std::filesystem::path db_;
};

}  // namespace artery
