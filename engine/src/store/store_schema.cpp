#include "store/store_schema.hpp"

#include <string>

namespace artery {
namespace {

// Readers wait this long for a lock held by another process (a second engine
// on the same file, or a checkpoint) before giving up with SQLITE_BUSY.
constexpr int busy_timeout_ms = 10000;

// Content columns are BLOBs: raw messages are bytes, not necessarily UTF-8.
constexpr const char* schema_sql = R"sql(
-- The writer assigns ids itself (see StoreWriter): never reused, even after
-- retention deletes the newest rows, without AUTOINCREMENT's extra page write
-- per commit.
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  data_type TEXT NOT NULL DEFAULT '',
  raw BLOB,
  transformed BLOB,
  transformed_type TEXT NOT NULL DEFAULT '',  -- '' = same as data_type
  message_type TEXT NOT NULL DEFAULT '',
  control_id TEXT NOT NULL DEFAULT '',
  patient_id TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  vars_json TEXT NOT NULL DEFAULT '',
  attributes_json TEXT NOT NULL DEFAULT '',
  origin_channel TEXT NOT NULL DEFAULT '',      -- routed here from this channel's message...
  origin_message_id INTEGER NOT NULL DEFAULT 0,  -- ...with this id (0: not routed)
  -- Encryption at rest (docs/security.md): the key raw and the row's other
  -- values are sealed with (0: plain), and the sealed patient id when
  -- patient_id holds its keyed hash.
  key_id INTEGER NOT NULL DEFAULT 0,
  patient_sealed BLOB NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS messages_by_channel ON messages(channel, id);
-- No indexes on control_id or patient_id here: their keys arrive in random
-- order, so each commit would dirty two more random leaf pages (measured: 41
-- -> 60 us per single-message transaction). They live in message_keys,
-- written by the SearchIndexer after the commit, off the acknowledgement path.
DROP INDEX IF EXISTS messages_by_control_id;
DROP INDEX IF EXISTS messages_by_patient_id;
-- State and received time are indexed on the hot path: both keys grow with
-- the id (a state's newest rows, the newest time), so a commit appends to the
-- right-most leaf of each instead of dirtying random pages. State changes after
-- the insert, which is why it cannot wait for the indexer.
CREATE INDEX IF NOT EXISTS messages_by_state ON messages(state, id);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages(received_at);

-- Search keys: control id, patient id and message type, for exact filters,
-- written by the SearchIndexer in batches after the writer's commits. An FTS5
-- index rather than a (key, id) B-tree: the keys are random, so a B-tree batch
-- rewrites leaf pages all over an index larger than the cache (the cost that
-- had the control id and patient id indexes dropped), while FTS5 writes each
-- batch as one new segment and merges segments in order. It finds candidates
-- by the key's words; search then compares the column itself, so the match
-- stays exact.
CREATE VIRTUAL TABLE IF NOT EXISTS message_keys USING fts5(
  control_id, patient_id, message_type, content='messages', content_rowid='id', detail=none, tokenize='ascii');

-- Full-text index over raw and transformed content, also written by the
-- SearchIndexer. External content (content='messages'), not contentless:
-- the text is stored once, in messages, and SQLite 3.40 cannot delete from a
-- contentless table by rowid alone; the 'delete' command of an external
-- content table takes the row's old values, which prune reads from messages
-- just before deleting them, and 'rebuild' / 'integrity-check' work against
-- messages. detail=none (no positions): about 45 % less indexing time per
-- message, at the price of phrase queries, which search does not offer (each
-- word is its own term). The ascii tokenizer splits on ASCII punctuation
-- (| ^ ~ & of HL7, JSON, XML) and keeps every non-ASCII byte in a word, so
-- search can split the user's words exactly as the index did.
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
  raw, transformed, content='messages', content_rowid='id', detail=none, tokenize='ascii');

-- The full-text index of an encrypted store (messages_fts stays empty): each
-- message's distinct words as keyed hashes (store/keyed_terms.hpp), kept so
-- that prune and rotation can give the 'delete' exactly what was indexed.
CREATE TABLE IF NOT EXISTS message_terms (
  id INTEGER PRIMARY KEY,
  terms TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS message_terms_fts USING fts5(
  terms, content='message_terms', content_rowid='id', detail=none, tokenize='ascii');

-- One row per key that sealed values in this store: a known value sealed
-- under it, so that a wrong key is refused at start, before any write.
CREATE TABLE IF NOT EXISTS store_keys (
  key_id INTEGER PRIMARY KEY,
  check_value BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS deliveries (
  message_id INTEGER NOT NULL,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  seq INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  sent_content BLOB,
  response BLOB,
  error TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, destination)
) WITHOUT ROWID;  -- one B-tree instead of a table plus its key index
-- A QUEUED row's sent_content, when set, is that delivery's own content (a
-- router delivery's routes), sent instead of the message's payload.
-- Only QUEUED rows are indexed: the index stays as small as the backlog, and
-- pending() reads one destination's queue in message order from it.
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(channel, destination, message_id)
  WHERE state = 'QUEUED';

CREATE TABLE IF NOT EXISTS counters (
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  received INTEGER NOT NULL DEFAULT 0,
  filtered INTEGER NOT NULL DEFAULT 0,
  queued INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0,
  errored INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (channel, destination)
);

CREATE TABLE IF NOT EXISTS kv (
  channel TEXT NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (channel, key)
);

CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  user TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log(time);

-- Store bookkeeping: 'id_floor' is the highest message id ever assigned;
-- 'intake_applied' the highest intake log record in SQLite; 'indexed_through'
-- the id up to which message_keys and messages_fts are complete (a v2 store
-- has none: the indexer starts from 0 and backfills).
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql";

// Columns added after version 1, for stores created before them (CREATE TABLE
// IF NOT EXISTS leaves an existing table as it is).
constexpr const char* added_columns[][3] = {
    {"messages", "origin_channel", "TEXT NOT NULL DEFAULT ''"},
    {"messages", "origin_message_id", "INTEGER NOT NULL DEFAULT 0"},
    {"messages", "key_id", "INTEGER NOT NULL DEFAULT 0"},
    {"messages", "patient_sealed", "BLOB NOT NULL DEFAULT ''"},
};

// Routed messages by the message they came from; partial, so that messages
// nobody routed (nearly all) cost this index nothing.
constexpr const char* routing_index_sql =
    "CREATE INDEX IF NOT EXISTS messages_by_origin ON messages(origin_message_id) WHERE origin_message_id > 0";

void add_missing_columns(sqlite::Connection& connection) {
  for (const auto& [table, column, type] : added_columns) {
    const std::string present = connection.query_text(std::string("SELECT count(*) FROM pragma_table_info('") +
                                                      table + "') WHERE name = '" + column + "'");
    if (present == "0")
      connection.exec(std::string("ALTER TABLE ") + table + " ADD COLUMN " + column + " " + type);
  }
}

}  // namespace

void prepare_writer_connection(sqlite::Connection& connection, Durability durability) {
  connection.exec("PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms));
  if (connection.query_text("PRAGMA journal_mode = WAL") != "wal") {
    throw sqlite::Error("the store needs WAL journal mode, which this file system does not support");
  }
  // NORMAL in WAL mode: a commit is in the OS once COMMIT returns, so it
  // survives a process crash; FULL also fsyncs the WAL on every commit.
  connection.exec(durability == Durability::fsync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  connection.exec("PRAGMA temp_store = MEMORY");
  connection.exec("PRAGMA cache_size = -16384");  // 16 MiB for the writer's B-tree pages

  int version = std::stoi(connection.query_text("PRAGMA user_version"));
  if (version > store_schema_version) {
    throw sqlite::Error("the store's schema version " + std::to_string(version) +
                        " is newer than this engine supports (" + std::to_string(store_schema_version) + ")");
  }
  connection.exec("BEGIN IMMEDIATE");
  try {
    connection.exec(schema_sql);
    if (version < store_schema_version) add_missing_columns(connection);
    connection.exec(routing_index_sql);
    connection.exec("PRAGMA user_version = " + std::to_string(store_schema_version));
    connection.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void prepare_reader_connection(sqlite::Connection& connection) {
  connection.exec("PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms));
}

}  // namespace artery
