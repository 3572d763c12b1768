// The key ring behind ValueCipher: every key that can open stored values, the
// first one current (it seals and indexes). A ring is immutable; a rotation
// builds a new one and swaps it in (ValueCipher::replace_keys).
#pragma once
#include <artery/value_cipher.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace artery {

struct ValueKey {
  std::uint32_t id = 0;
  std::array<unsigned char, 32> secret{};  // AES-256-GCM key
  std::array<unsigned char, 32> index{};   // HMAC key for keyed hashes, derived from secret
  std::array<unsigned char, 16> terms{};   // SipHash key for search words, derived from index
};

struct ValueCipher::Keys {
  std::vector<ValueKey> keys;  // keys[0] is current; never empty

  const ValueKey& current() const { return keys.front(); }
  const ValueKey* find(std::uint32_t id) const {
    for (const auto& key : keys)
      if (key.id == id) return &key;
    return nullptr;
  }
};

namespace crypto {

// A key from its 32 secret bytes: the index key is derived (HMAC-SHA256 of a
// fixed label), the id too when `id` is 0 (the first 4 bytes of a SHA-256 of
// the key), so one ARTERY_KEY always has the same id.
ValueKey make_value_key(std::string_view secret, std::uint32_t id = 0);
// 32 fresh bytes from OpenSSL's CSPRNG. Throws std::runtime_error when it fails.
ValueKey generate_value_key();
// The key's id as 8 hex digits (log lines, the key file).
std::string key_id_text(std::uint32_t id);

}  // namespace crypto
}  // namespace artery
