// AES-256-GCM through OpenSSL EVP. Each thread keeps one EVP_CIPHER_CTX, so a
// seal costs a key setup and the cipher pass, no allocation but the result.
#include <artery/value_cipher.hpp>

#include "crypto/value_keys.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>
#include <shared_mutex>

namespace artery {

ValueTampered::~ValueTampered() = default;

namespace {

constexpr char kMagic[4] = {'\0', 'A', 'V', '1'};
constexpr std::size_t kIdSize = 4, kNonceSize = 12, kTagSize = 16;
constexpr std::size_t kHeaderSize = sizeof kMagic + kIdSize;  // authenticated with the row's identity
constexpr std::size_t kOverhead = kHeaderSize + kNonceSize + kTagSize;

struct ContextDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

EVP_CIPHER_CTX* thread_context() {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("OpenSSL could not allocate a cipher context");
  return ctx.get();
}

const unsigned char* bytes(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }
unsigned char* bytes(std::string& text) { return reinterpret_cast<unsigned char*>(text.data()); }

std::uint32_t read_id(std::string_view stored) {
  const auto* p = bytes(stored) + sizeof kMagic;
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

bool has_prefix(std::string_view stored) {
  return stored.size() >= kOverhead && std::memcmp(stored.data(), kMagic, sizeof kMagic) == 0;
}

std::string row_name(std::string_view associated) {
  return associated.empty() ? std::string("a stored value") : "stored value " + std::string(associated);
}

std::string hash_with(const ValueKey& key, std::string_view value) {
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.index.data(), static_cast<int>(key.index.size()), bytes(value), value.size(), digest,
       &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (std::size_t i = 0; i < 16; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

struct ValueCipher::State {
  mutable std::shared_mutex mutex;
  std::shared_ptr<const Keys> keys;  // null: disabled

  std::shared_ptr<const Keys> load() const {
    std::shared_lock lock(mutex);
    return keys;
  }
};

ValueCipher::ValueCipher() : state_(std::make_unique<State>()) {}
ValueCipher::ValueCipher(std::shared_ptr<const Keys> keys) : state_(std::make_unique<State>()) {
  if (keys && keys->keys.empty()) throw std::invalid_argument("a key ring needs at least one key");
  state_->keys = std::move(keys);
}
ValueCipher::~ValueCipher() = default;

const ValueCipher& ValueCipher::disabled() {
  static const ValueCipher off;
  return off;
}

bool ValueCipher::enabled() const { return state_->load() != nullptr; }

std::shared_ptr<const ValueCipher::Keys> ValueCipher::keys() const { return state_->load(); }

void ValueCipher::replace_keys(std::shared_ptr<const Keys> keys) {
  if (!keys || keys->keys.empty()) throw std::invalid_argument("a key ring needs at least one key");
  std::unique_lock lock(state_->mutex);
  state_->keys = std::move(keys);
}

std::string ValueCipher::seal(std::string_view plaintext, std::string_view associated) const {
  const auto keys = state_->load();
  if (!keys) return std::string(plaintext);
  const ValueKey& key = keys->current();

  std::string out(kOverhead + plaintext.size(), '\0');
  unsigned char* p = bytes(out);
  std::memcpy(p, kMagic, sizeof kMagic);
  p[4] = static_cast<unsigned char>(key.id >> 24);
  p[5] = static_cast<unsigned char>(key.id >> 16);
  p[6] = static_cast<unsigned char>(key.id >> 8);
  p[7] = static_cast<unsigned char>(key.id);
  unsigned char* nonce = p + kHeaderSize;
  if (RAND_bytes(nonce, kNonceSize) != 1) throw std::runtime_error("the random generator failed (OpenSSL RAND_bytes)");

  EVP_CIPHER_CTX* ctx = thread_context();
  int length = 0;
  unsigned char* body = nonce + kNonceSize;
  const bool ok =
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key.secret.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx, nullptr, &length, p, static_cast<int>(kHeaderSize)) == 1 &&
      (associated.empty() ||
       EVP_EncryptUpdate(ctx, nullptr, &length, bytes(associated), static_cast<int>(associated.size())) == 1) &&
      (plaintext.empty() ||
       EVP_EncryptUpdate(ctx, body, &length, bytes(plaintext), static_cast<int>(plaintext.size())) == 1) &&
      EVP_EncryptFinal_ex(ctx, body + plaintext.size(), &length) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), body + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("OpenSSL AES-256-GCM failed to seal " + row_name(associated));
  return out;
}

std::string ValueCipher::open(std::string_view stored, std::string_view associated) const {
  if (!is_sealed(stored)) return std::string(stored);
  const auto keys = state_->load();
  const std::uint32_t id = read_id(stored);
  const ValueKey* key = keys ? keys->find(id) : nullptr;
  if (!key)
    throw ValueTampered(row_name(associated) + " is sealed with key " + crypto::key_id_text(id) +
                        ", which is not among the engine's keys" + (keys ? "" : " (encryption is off)"));

  const unsigned char* p = bytes(stored);
  const unsigned char* nonce = p + kHeaderSize;
  const unsigned char* body = nonce + kNonceSize;
  const std::size_t size = stored.size() - kOverhead;
  unsigned char tag[kTagSize];
  std::memcpy(tag, body + size, kTagSize);

  std::string out(size, '\0');
  EVP_CIPHER_CTX* ctx = thread_context();
  int length = 0;
  const bool ready =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key->secret.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &length, p, static_cast<int>(kHeaderSize)) == 1 &&
      (associated.empty() ||
       EVP_DecryptUpdate(ctx, nullptr, &length, bytes(associated), static_cast<int>(associated.size())) == 1) &&
      (size == 0 || EVP_DecryptUpdate(ctx, bytes(out), &length, body, static_cast<int>(size)) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag) == 1;
  if (!ready) throw std::runtime_error("OpenSSL AES-256-GCM failed to open " + row_name(associated));
  if (EVP_DecryptFinal_ex(ctx, bytes(out) + size, &length) != 1) {
    // Nothing of `out` leaves: unauthenticated plaintext is never returned.
    OPENSSL_cleanse(out.data(), out.size());
    throw ValueTampered(row_name(associated) +
                        " failed authentication: it was altered, moved from another row, or sealed with another key");
  }
  return out;
}

bool ValueCipher::is_sealed(std::string_view stored) const { return has_prefix(stored); }

bool ValueCipher::sealed_with_current_key(std::string_view stored) const {
  if (!has_prefix(stored)) return false;
  const auto keys = state_->load();
  return keys && read_id(stored) == keys->current().id;
}

std::string ValueCipher::keyed_hash(std::string_view value) const {
  const auto keys = state_->load();
  if (!keys) return std::string(value);
  return hash_with(keys->current(), value);
}

std::vector<std::string> ValueCipher::keyed_hashes(std::string_view value) const {
  const auto keys = state_->load();
  if (!keys) return {std::string(value)};
  std::vector<std::string> out;
  out.reserve(keys->keys.size());
  for (const auto& key : keys->keys) out.push_back(hash_with(key, value));
  return out;
}

}  // namespace artery
