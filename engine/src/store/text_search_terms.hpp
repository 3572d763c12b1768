// Turns the words a user typed into an FTS5 MATCH expression that can never be
// read as FTS5 syntax: each word becomes a double-quoted string (FTS5's
// literal), so "OR", "NEAR(", "*", "-" and quotes are searched as text or, when
// they hold no word character, dropped.
#pragma once
#include <string>
#include <string_view>

namespace artery {

// At most this many words per search (an FTS5 query of thousands of terms
// would cost seconds).
inline constexpr int max_search_words = 32;

// The words of `text` as the store's FTS5 tokenizer ('ascii') splits content:
// runs of ASCII letters and digits and of non-ASCII bytes; every other byte
// separates. Each becomes "word", joined by spaces (FTS5: all must occur).
// "" when `text` holds no word. Throws std::invalid_argument beyond
// max_search_words.
std::string fts_match_expression(std::string_view text);

}  // namespace artery
