// The store's tables and indexes, and the connection settings every store
// connection needs. PRAGMA user_version records the schema version so that a
// later engine can migrate an older file.
#pragma once
#include "store/message_store.hpp"
#include "store/sqlite_connection.hpp"

namespace artery {

// 2: messages.origin_channel / origin_message_id (channel-to-channel routing).
// 3: search indexes (messages_by_state, messages_by_time, message_keys,
//    messages_fts); a v2 store is upgraded in place and backfilled by the
//    SearchIndexer in the background.
// 4: encryption at rest (messages.key_id / patient_sealed, message_terms,
//    store_keys); nothing to migrate: an older store's rows are plain.
inline constexpr int store_schema_version = 4;

// Sets WAL mode and the durability level on the writer connection and creates
// any missing table or index. Throws sqlite::Error, including for a file whose
// schema is newer than this engine.
void prepare_writer_connection(sqlite::Connection& connection, Durability durability);

// Settings for a read-only connection.
void prepare_reader_connection(sqlite::Connection& connection);

}  // namespace artery
