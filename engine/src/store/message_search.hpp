// How MessageStore::search_page finds a page of messages: first the ids, by
// the most selective index a filter offers (a search key, the full-text index,
// the state or channel index, else the primary key), walked newest first and
// stopped at limit + 1; then the rows of just those ids, with or without
// their content.
#pragma once
#include <artery/value_cipher.hpp>
#include "store/message_store.hpp"
#include "store/sqlite_connection.hpp"

namespace artery {

// Time filters become id ranges through messages_by_time, on the assumption
// that a message's id is assigned within this long of its received time.
inline constexpr std::int64_t received_time_skew_ms = 60000;
// Key filters also scan the newest messages not indexed yet, up to this many
// (far more than the indexer's lag; after an upgrade from v2, until the
// backfill has caught up, only these).
inline constexpr std::int64_t unindexed_scan_limit = 100000;

// On a read connection, outside a transaction (it opens its own). Throws
// sqlite::Error, std::invalid_argument for a text of too many words.
// With `cipher` enabled, the patient id and words are looked up by their
// keyed hashes under every readable key, and content is opened.
MessagePage search_messages(sqlite::Connection& connection, const MessageQuery& query, const ValueCipher& cipher);

}  // namespace artery
