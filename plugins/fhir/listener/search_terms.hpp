// How search-index values are written and looked up when the engine's
// storage encryption is on (docs/fhir.md, "Encryption at rest"): the index
// holds keyed hashes instead of readable values, so the SQLite file alone
// does not show identifiers, names or codes, yet every search is still an
// equality or containment test in SQL.
//
// - token and reference parameters (identifier, gender, status, code,
//   subject/patient): the system and the value each become an 8-byte keyed
//   hash, bound as a BLOB.
// - string parameters (name, family, given; FHIR string search is a
//   case-insensitive starts-with): one BLOB per value, the hash of the whole
//   folded value (for :exact) followed by the hash of each of its prefixes
//   that ends on a character boundary. A search hashes its prefix and looks
//   for it with instr().
// - dates (birthdate, date) stay as plain [low, high) milliseconds; their
//   readable text is dropped.
//
// Each hash is SipHash-2-4 under a key derived from the engine's index key
// (ValueCipher::keyed_hashes of a fixed label), over "kind, parameter,
// text", so equal text under two parameters or kinds does not link. An HMAC
// per prefix cost ~15 µs on this machine, SipHash ~30 ns.
//
// What the hashes leak to a reader of the file: which resources share a
// token or a prefix (equality, hence frequencies: gender or status have a
// handful of values), and a string value's length in characters (the number
// of prefixes). Not the values themselves without the key.
#pragma once
#include "listener/search_index.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace artery {
class ValueCipher;
}

namespace artery::fhir {

class SearchTerms {
 public:
  // Plain: the index holds readable values (encryption off).
  SearchTerms() = default;
  // Keyed from `cipher`'s readable keys, current first; plain when the
  // cipher is disabled. `plain_rows_remain`: the repository still has rows
  // written before encryption was on, so lookups also try readable values.
  SearchTerms(const ValueCipher& cipher, bool plain_rows_remain);

  static const SearchTerms& plain();

  bool blinded() const { return !keys_.empty(); }
  bool plain_rows_remain() const { return plain_rows_remain_; }
  // The key id (bytes 4..8 of a sealed value) the current key seals with.
  const std::string& current_key_id() const { return key_id_; }

  // The rows as stored: hashed under the current key (unchanged when plain).
  std::vector<IndexRow> blind(std::vector<IndexRow> rows) const;

  // Lookup values, one per readable key (empty when plain). `kind` is
  // system or value for tokens and references.
  enum class Part { system, value };
  std::vector<std::string> token(std::string_view param, Part part, std::string_view text) const;
  std::vector<std::string> exact(std::string_view param, std::string_view folded) const;
  std::vector<std::string> prefix(std::string_view param, std::string_view folded) const;

  // Index names whose values are strings (prefix-hashed) and dates (plain).
  static bool is_string_index(std::string_view param);
  static bool is_date_index(std::string_view param);

 private:
  using Key = std::array<unsigned char, 16>;
  static std::string hash(const Key& key, char kind, std::string_view param, std::string_view text);
  std::string string_value(const Key& key, std::string_view param, std::string_view folded) const;

  std::vector<Key> keys_;  // current first
  std::string key_id_;
  bool plain_rows_remain_ = false;
};

}  // namespace artery::fhir
