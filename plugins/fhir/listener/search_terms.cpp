#include "listener/search_terms.hpp"

#include "crypto/siphash.hpp"

#include <artery/value_cipher.hpp>

#include <stdexcept>

namespace artery::fhir {
namespace {

constexpr std::string_view kLabel = "artery/fhir/search-terms/v1";
constexpr char kSystem = 's', kValue = 'v', kExact = 'x', kPrefix = 'p';

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// UTF-8 continuation bytes (10xxxxxx) never end a prefix a user can type.
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

SearchTerms::SearchTerms(const ValueCipher& cipher, bool plain_rows_remain) : plain_rows_remain_(plain_rows_remain) {
  if (!cipher.enabled()) return;
  for (const auto& derived : cipher.keyed_hashes(kLabel)) {
    if (derived.size() < 32) throw std::runtime_error("fhir repository: the engine's keyed hash is too short");
    Key key{};
    for (std::size_t i = 0; i < key.size(); ++i) {
      int hi = hex_digit(derived[2 * i]), lo = hex_digit(derived[2 * i + 1]);
      if (hi < 0 || lo < 0) throw std::runtime_error("fhir repository: the engine's keyed hash is not hex");
      key[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    keys_.push_back(key);
  }
  const std::string probe = cipher.seal("", kLabel);
  key_id_ = probe.size() >= 8 ? probe.substr(4, 4) : std::string();
}

const SearchTerms& SearchTerms::plain() {
  static const SearchTerms terms;
  return terms;
}

bool SearchTerms::is_string_index(std::string_view param) {
  return param == "name" || param == "family" || param == "given";
}

bool SearchTerms::is_date_index(std::string_view param) { return param == "birthdate" || param == "date"; }

namespace {

// "kind \x1f parameter \x1f text": the input of one hash.
std::string hash_input(char kind, std::string_view param, std::string_view text) {
  std::string input;
  input.reserve(param.size() + text.size() + 3);
  input += kind;
  input += '\x1f';
  input += param;
  input += '\x1f';
  input += text;
  return input;
}

void append_hash(std::string& out, const std::array<unsigned char, 16>& key, std::string_view input) {
  const std::uint64_t h = crypto::siphash24(key, input);
  for (int i = 0; i < 8; ++i) out += static_cast<char>(h >> (8 * i));
}

}  // namespace

std::string SearchTerms::hash(const Key& key, char kind, std::string_view param, std::string_view text) {
  std::string out;
  out.reserve(8);
  append_hash(out, key, hash_input(kind, param, text));
  return out;
}

std::string SearchTerms::string_value(const Key& key, std::string_view param, std::string_view folded) const {
  std::string out;
  out.reserve(8 * (folded.size() + 1));
  append_hash(out, key, hash_input(kExact, param, folded));
  // Each prefix's input is a prefix of the whole value's input.
  const std::string input = hash_input(kPrefix, param, folded);
  const std::size_t head = input.size() - folded.size();
  for (std::size_t n = 1; n <= folded.size(); ++n)
    if (n == folded.size() || !is_continuation(folded[n])) append_hash(out, key, std::string_view(input).substr(0, head + n));
  return out;
}

std::vector<IndexRow> SearchTerms::blind(std::vector<IndexRow> rows) const {
  if (!blinded()) return rows;
  const Key& key = keys_.front();
  for (auto& row : rows) {
    row.blinded = true;
    if (is_date_index(row.param)) {
      row.value.clear();  // low/high carry the search; the text would show the date as written
    } else if (is_string_index(row.param)) {
      row.value = string_value(key, row.param, row.value);
    } else {
      row.system = hash(key, kSystem, row.param, row.system);
      row.value = hash(key, kValue, row.param, row.value);
    }
  }
  return rows;
}

std::vector<std::string> SearchTerms::token(std::string_view param, Part part, std::string_view text) const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(hash(key, part == Part::system ? kSystem : kValue, param, text));
  return out;
}

std::vector<std::string> SearchTerms::exact(std::string_view param, std::string_view folded) const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(hash(key, kExact, param, folded));
  return out;
}

std::vector<std::string> SearchTerms::prefix(std::string_view param, std::string_view folded) const {
  std::vector<std::string> out;
  for (const auto& key : keys_) out.push_back(hash(key, kPrefix, param, folded));
  return out;
}

}  // namespace artery::fhir
