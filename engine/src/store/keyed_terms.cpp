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

// Calls f(word) for each word of `text`, case-folded. The word is built in a
// buffer reused across calls (a string per byte was most of the cost).
template <class F>
void for_each_word(std::string_view text, F&& f) {
  std::string word;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) ++i;
    word.assign(text.data() + start, i - start);
    for (char& c : word)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    f(std::string_view(word));
  }
}

// The part of `transformed` whose words may not all be words of `raw`: a
// transform usually changes a few fields, so the bytes before the first
// difference and after the last are shared, cut back to word boundaries so
// that a word straddling a difference is read whole from `transformed`.
std::string_view changed_part(std::string_view raw, std::string_view transformed) {
  const std::size_t shortest = std::min(raw.size(), transformed.size());
  std::size_t head = 0;
  while (head < shortest && raw[head] == transformed[head]) ++head;
  if (head == transformed.size() && head == raw.size()) return {};
  std::size_t tail = 0;
  while (tail < shortest - head && raw[raw.size() - 1 - tail] == transformed[transformed.size() - 1 - tail]) ++tail;
  // A word ending at the shared head's edge may continue differently: start
  // at its beginning. Likewise a word starting inside the shared tail.
  while (head > 0 && word_byte(static_cast<unsigned char>(transformed[head - 1]))) --head;
  while (tail > 0 && word_byte(static_cast<unsigned char>(transformed[transformed.size() - tail]))) --tail;
  return transformed.substr(head, transformed.size() - tail - head);
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
  // Only the words of `transformed` that `raw` may lack: the output is the
  // same set, at about half the hashing for a typical transform.
  for_each_word(changed_part(raw, transformed), add);
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
