// Encryption at rest for stored values (docs/security.md, "Encryption at
// rest"). One cipher per engine, shared by the message store and plugins
// (ConnectorContext::value_cipher()), so everything is sealed under the
// engine's keys. Free of OpenSSL and Boost: plugins include it.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace artery {

// A sealed value failed authentication: altered bytes, a value moved from
// another row, or a key that is not the one it was sealed with. Never
// decrypted into garbage. The message names the row (the associated data).
class ValueTampered : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~ValueTampered() override;  // out of line: one type identity across plugins
};

// Thread-safe: seal/open/keyed_hash may be called from any number of threads
// while a rotation swaps the keys.
//
// A sealed value is binary: "\0AV1" (a NUL byte, which HL7, JSON and XML text
// cannot start with), a 4-byte key id, a 12-byte random nonce, the ciphertext
// and a 16-byte AES-256-GCM tag. The magic and key id are authenticated with
// the caller's associated data.
class ValueCipher {
 public:
  struct Keys;  // the key ring (engine side: crypto/value_keys.hpp)

  ValueCipher();  // disabled: seal returns the plaintext, open accepts it
  explicit ValueCipher(std::shared_ptr<const Keys> keys);
  ~ValueCipher();
  ValueCipher(const ValueCipher&) = delete;
  ValueCipher& operator=(const ValueCipher&) = delete;

  // A cipher that is always disabled (ConnectorContext's default).
  static const ValueCipher& disabled();

  bool enabled() const;

  // Encrypts under the current key with a fresh nonce. `associated` is the
  // row's identity ("messages/<id>/raw"): opening with another fails.
  std::string seal(std::string_view plaintext, std::string_view associated) const;
  // A value without the sealed prefix is returned as is (written before
  // encryption was on). Throws ValueTampered when authentication fails or the
  // key id is not in the ring.
  std::string open(std::string_view stored, std::string_view associated) const;

  bool is_sealed(std::string_view stored) const;
  bool sealed_with_current_key(std::string_view stored) const;

  // HMAC-SHA256 under the current key's index key, first 16 bytes as 32
  // lowercase hex digits: equality search on columns that must not show
  // their values (patient id, search words). Disabled: the value unchanged.
  std::string keyed_hash(std::string_view value) const;
  // One per readable key, current first (two during a rotation), so lookups
  // find rows indexed under the old key too.
  std::vector<std::string> keyed_hashes(std::string_view value) const;

  // Stores outside the engine's own that seal with this cipher (a plugin's
  // repository, named "fhir/<channel>"): every value of `store` is now
  // sealed under the key that sealed `probe` (a value it sealed last). A key
  // rotation forgets the old keys only once every store that ever reported
  // has reported the current key; the engine keeps the reports in its store,
  // so the repository of a channel that is not running holds a rotation too
  // (and `artery key status` names it) rather than being left unreadable.
  void report_store_sealed(std::string_view store, std::string_view probe) const;

  // ---- engine side ----
  // Where report_store_sealed() goes: the store's name and the key id.
  void on_store_sealed(std::function<void(const std::string& store, std::uint32_t key_id)> report);
  std::shared_ptr<const Keys> keys() const;
  // A rotation: values sealed from now on use the new ring's current key.
  void replace_keys(std::shared_ptr<const Keys> keys);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace artery
