// The full-text index of an encrypted store: each word of a message (split
// and case-folded as the plain index's 'ascii' tokenizer does) becomes a
// keyed hash, 16 hex digits of SipHash under the key's terms key, so the
// index answers "which messages hold this word" for whoever holds the key
// and reveals no word to whoever holds only the file.
#pragma once
#include "crypto/value_keys.hpp"

#include <string>
#include <string_view>

namespace artery::keyed_terms {

// The distinct words of `raw` and `transformed`, hashed under `key`, joined by
// spaces: one document for message_terms.
std::string document(const ValueKey& key, std::string_view raw, std::string_view transformed);

// An FTS5 MATCH expression for message_terms_fts: every word of `text` must
// occur, under any readable key ("h1" or ("h1" OR "h0") per word). "" when
// `text` holds no word. Throws std::invalid_argument beyond max_search_words.
std::string match_expression(const ValueCipher::Keys& keys, std::string_view text);

}  // namespace artery::keyed_terms
