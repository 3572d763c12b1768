#include "deid/keyed_hash.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace artery::deid {

std::string KeyedHash::digest(std::string_view domain, std::string_view value) const {
  std::string data;
  data.reserve(domain.size() + 1 + value.size());
  data.append(domain).push_back('\0');
  data.append(value);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), out, &size))
    throw std::runtime_error("deid: HMAC failed");
  return std::string(reinterpret_cast<const char*>(out), size);
}

namespace {
std::string hex(std::string_view bytes, std::size_t digits, const char* alphabet) {
  std::string out;
  for (std::size_t i = 0; out.size() < digits && i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(alphabet[b >> 4]);
    out.push_back(alphabet[b & 15]);
  }
  out.resize(digits);
  return out;
}
}  // namespace

std::string KeyedHash::pseudonym(std::string_view domain, std::string_view value) const {
  return hex(digest(domain, value), 16, "0123456789ABCDEF");
}

std::string KeyedHash::uuid(std::string_view value) const {
  std::string h = hex(digest("uuid", value), 32, "0123456789abcdef");
  h[12] = '8';  // a fixed version nibble: not a real v4/v5, but well-formed for parsers
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

int KeyedHash::date_offset(std::string_view patient_key, int range) const {
  const std::string d = digest("date-shift", patient_key);
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(d[static_cast<std::size_t>(i)]);
  const int magnitude = 1 + static_cast<int>(n % static_cast<std::uint32_t>(range));
  return (d[4] & 1) ? magnitude : -magnitude;
}

}  // namespace artery::deid
