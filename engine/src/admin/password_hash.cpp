#include "admin/password_hash.hpp"

#include "admin/secret_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>
#include <vector>

namespace artery::admin {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// Fewer than this in a stored string is refused: a hash cannot be made
// weaker by editing the database.
constexpr int kLeastIterations = 100'000;
// A bound so that a corrupted count cannot make one login take an hour.
constexpr int kMostIterations = 10'000'000;

std::string derive(std::string_view password, std::string_view salt, int iterations, std::size_t size) {
  std::string out(size, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), static_cast<int>(size), reinterpret_cast<unsigned char*>(out.data())) != 1)
    throw std::runtime_error("password hashing failed (OpenSSL PKCS5_PBKDF2_HMAC)");
  return out;
}

}  // namespace

std::string hash_password(std::string_view password) {
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("the random generator failed (OpenSSL RAND_bytes)");
  std::string hash = derive(password, salt, kPasswordIterations, kHashBytes);
  return std::string(kScheme) + "$" + std::to_string(kPasswordIterations) + "$" + base64_encode(salt) + "$" +
         base64_encode(hash);
}

bool verify_password(std::string_view password, std::string_view stored) {
  // scheme$iterations$salt$hash
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    auto dollar = stored.find('$', start);
    parts.push_back(stored.substr(start, dollar == std::string_view::npos ? std::string_view::npos : dollar - start));
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  if (parts.size() != 4 || parts[0] != kScheme) return false;
  int iterations = 0;
  auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size()) return false;
  if (iterations < kLeastIterations || iterations > kMostIterations) return false;
  std::string salt, expected;
  if (!base64_decode(parts[2], salt) || !base64_decode(parts[3], expected)) return false;
  if (salt.size() < 8 || expected.size() < 16 || expected.size() > 64) return false;
  std::string actual = derive(password, salt, iterations, expected.size());
  return CRYPTO_memcmp(actual.data(), expected.data(), expected.size()) == 0;
}

void spend_password_check(std::string_view password) {
  static const std::string salt(kSaltBytes, 's');
  (void)derive(password, salt, kPasswordIterations, kHashBytes);
}

}  // namespace artery::admin
