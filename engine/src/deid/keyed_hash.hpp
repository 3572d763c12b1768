// Keyed pseudonyms and per-patient date offsets: HMAC-SHA256 under the
// profile's key, so the same input maps to the same output wherever the same
// key is used, and nothing can be reversed or recomputed without it.
#pragma once
#include <string>
#include <string_view>

namespace artery::deid {

class KeyedHash {
 public:
  explicit KeyedHash(std::string key) : key_(std::move(key)) {}
  // 16 upper-case hex digits (64 bits) of HMAC(key, domain || 0 || value).
  std::string pseudonym(std::string_view domain, std::string_view value) const;
  // A UUID-shaped pseudonym (for urn:uuid: references).
  std::string uuid(std::string_view value) const;
  // Days in [-range, -1] or [1, range], fixed per patient key.
  int date_offset(std::string_view patient_key, int range) const;

 private:
  std::string digest(std::string_view domain, std::string_view value) const;  // 32 raw bytes
  std::string key_;
};

}  // namespace artery::deid
