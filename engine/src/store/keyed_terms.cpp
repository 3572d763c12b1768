#include "store/keyed_terms.hpp"

#include "crypto/siphash.hpp"
#include "store/text_search_terms.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace artery::keyed_terms {
namespace {

// The ascii tokenizer's rule (text_search_terms.cpp): ASCII alphanumerics
// and every byte >= 0x80 are word characters; ASCII letters fold to lower case.
bool word_byte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

template <class F>
void for_each_word(std::string_view text, F&& f) {
  std::string word;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    word.clear();
    for (; i < text.size() && word_byte(static_cast<unsigned char>(text[i])); ++i) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      word += c;
    }
    f(std::string_view(word));
  }
}

void append_hex(std::string& out, std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xf];
}

}  // namespace

std::string document(const ValueKey& key, std::string_view raw, std::string_view transformed) {
  std::vector<std::uint64_t> hashes;
  auto add = [&](std::string_view word) { hashes.push_back(crypto::siphash24(key.terms, word)); };
  for_each_word(raw, add);
  for_each_word(transformed, add);
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  std::string out;
  out.reserve(hashes.size() * 17);
  for (std::uint64_t h : hashes) {
    if (!out.empty()) out += ' ';
    append_hex(out, h);
  }
  return out;
}

std::string match_expression(const ValueCipher::Keys& keys, std::string_view text) {
  std::string out;
  int words = 0;
  for_each_word(text, [&](std::string_view word) {
    if (++words > max_search_words)
      throw std::invalid_argument("a text search takes at most " + std::to_string(max_search_words) + " words");
    if (!out.empty()) out += ' ';
    if (keys.keys.size() > 1) out += '(';
    for (std::size_t k = 0; k < keys.keys.size(); ++k) {
      if (k) out += " OR ";
      out += '"';
      append_hex(out, crypto::siphash24(keys.keys[k].terms, word));
      out += '"';
    }
    if (keys.keys.size() > 1) out += ')';
  });
  return out;
}

}  // namespace artery::keyed_terms
