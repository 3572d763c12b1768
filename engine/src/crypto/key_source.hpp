// Where the engine's value keys come from: ARTERY_KEY (base64 of 32 bytes; a
// comma-separated list during a rotation, current first) or a key file,
// created with mode 0600 the first time encryption is turned on.
#pragma once
#include "crypto/value_keys.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace artery::crypto {

struct LoadedKeys {
  std::shared_ptr<const ValueCipher::Keys> keys;
  std::string source;  // for messages: "ARTERY_KEY" or "key file /path"
  bool from_environment = false;
  bool created = false;  // a new key file was written
};

// ARTERY_KEY when set, else `key_file` (created when absent). nullopt with
// `error` naming the source: bad base64, a key that is not 32 bytes, a file
// others can read, a file that cannot be written.
std::optional<LoadedKeys> load_value_keys(const std::filesystem::path& key_file, std::string& error);

// Parses ARTERY_KEY's form. nullopt with `error` on bad input.
std::shared_ptr<const ValueCipher::Keys> parse_key_list(std::string_view text, std::string& error);

// Replaces the key file atomically (temporary file 0600, fsync, rename), so a
// crash leaves the old file or the new one, never half of one.
bool write_key_file(const std::filesystem::path& key_file, const ValueCipher::Keys& keys, std::string& error);

}  // namespace artery::crypto
