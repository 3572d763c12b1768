#include "crypto/value_keys.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <stdexcept>

namespace artery::crypto {

ValueKey make_value_key(std::string_view secret, std::uint32_t id) {
  if (secret.size() != 32) throw std::invalid_argument("a value key is 32 bytes");
  ValueKey key;
  std::copy(secret.begin(), secret.end(), key.secret.begin());
  // Separate keys for sealing and for hashing: a keyed hash never exposes
  // anything about the AES key, and the label versions the derivation.
  static constexpr std::string_view kIndexLabel = "artery value index v1";
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
       reinterpret_cast<const unsigned char*>(kIndexLabel.data()), kIndexLabel.size(), key.index.data(), &length);
  {
    // Search words are hashed by the thousand per second on the store's
    // writer thread: SipHash (a PRF made for short keys) under its own key.
    static constexpr std::string_view kTermsLabel = "artery search terms v1";
    unsigned char digest[32];
    HMAC(EVP_sha256(), key.index.data(), static_cast<int>(key.index.size()),
         reinterpret_cast<const unsigned char*>(kTermsLabel.data()), kTermsLabel.size(), digest, &length);
    std::copy(digest, digest + key.terms.size(), key.terms.begin());
  }
  if (id == 0) {
    static constexpr std::string_view kIdLabel = "artery value key id v1";
    unsigned char digest[32];
    HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
         reinterpret_cast<const unsigned char*>(kIdLabel.data()), kIdLabel.size(), digest, &length);
    id = (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) | (std::uint32_t{digest[2]} << 8) |
         digest[3];
    if (id == 0) id = 1;  // 0 means "derive"
  }
  key.id = id;
  return key;
}

ValueKey generate_value_key() {
  unsigned char secret[32];
  if (RAND_bytes(secret, sizeof secret) != 1)
    throw std::runtime_error("the random generator failed (OpenSSL RAND_bytes)");
  return make_value_key(std::string_view(reinterpret_cast<const char*>(secret), sizeof secret));
}

std::string key_id_text(std::uint32_t id) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", id);
  return text;
}

}  // namespace artery::crypto
