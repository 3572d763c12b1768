#include "store/text_search_terms.hpp"

#include <stdexcept>

namespace artery {
namespace {

// The ascii tokenizer's rule: ASCII alphanumerics and every byte >= 0x80 are
// word characters. A word built from them holds no '"', so quoting it needs
// no escaping, and FTS5 reads it back as exactly one token: never a phrase,
// which the detail=none index could not answer.
bool word_byte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::string fts_match_expression(std::string_view text) {
  std::string out;
  int words = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && word_byte(static_cast<unsigned char>(text[end]))) ++end;
    if (++words > max_search_words)
      throw std::invalid_argument("a text search takes at most " + std::to_string(max_search_words) + " words");
    if (!out.empty()) out += ' ';
    out += '"';
    out.append(text.substr(i, end - i));
    out += '"';
    i = end;
  }
  return out;
}

}  // namespace artery
