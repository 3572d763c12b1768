#include "store/search_indexer.hpp"

#include "log/logger.hpp"
#include "store/keyed_terms.hpp"
#include "store/sealed_values.hpp"

#include <algorithm>

namespace artery {
namespace {

constexpr const char* index_keys_sql =
    "INSERT INTO message_keys (rowid, control_id, patient_id, message_type) "
    "SELECT id, control_id, patient_id, message_type FROM messages WHERE id > ?1 AND id <= ?2";
// transformed is indexed when it is of another data type than raw (JSON or
// XML made from HL7): an HL7 transform of HL7 repeats raw's words nearly all,
// and indexing it too would double the cost per message. The same expression
// serves the 'delete' below, which must be given exactly what was indexed.
#define ARTERY_INDEXED_TRANSFORMED "CASE WHEN transformed_type <> '' THEN transformed END"
constexpr const char* index_content_sql =
    "INSERT INTO messages_fts (rowid, raw, transformed) "
    "SELECT id, raw, " ARTERY_INDEXED_TRANSFORMED " FROM messages WHERE id > ?1 AND id <= ?2";
constexpr const char* record_watermark_sql =
    "INSERT INTO store_meta (key, value) VALUES ('indexed_through', ?1) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
// Only what was indexed is removed: the 'delete' of an external content
// table must be given exactly the values it indexed.
constexpr const char* forget_keys_sql =
    "INSERT INTO message_keys (message_keys, rowid, control_id, patient_id, message_type) "
    "SELECT 'delete', id, control_id, patient_id, message_type FROM messages WHERE id IN temp.prune_ids AND id <= ?1";
constexpr const char* forget_content_sql =
    "INSERT INTO messages_fts (messages_fts, rowid, raw, transformed) "
    "SELECT 'delete', id, raw, " ARTERY_INDEXED_TRANSFORMED " FROM messages WHERE id IN temp.prune_ids AND id <= ?1";
#undef ARTERY_INDEXED_TRANSFORMED
// The encrypted store's word index: what was indexed is kept in
// message_terms, so forgetting needs no content.
constexpr const char* forget_terms_fts_sql =
    "INSERT INTO message_terms_fts (message_terms_fts, rowid, terms) "
    "SELECT 'delete', id, terms FROM message_terms WHERE id IN temp.prune_ids";
constexpr const char* forget_terms_sql = "DELETE FROM message_terms WHERE id IN temp.prune_ids";

constexpr auto retry_pause = std::chrono::seconds(1);

}  // namespace

SearchIndexer::SearchIndexer(sqlite::Connection& connection, const ValueCipher& cipher)
    : connection_(connection), cipher_(cipher) {
  sqlite::StatementUse q(connection_.statement("SELECT value FROM store_meta WHERE key = 'indexed_through'"));
  if (q->step()) indexed_through_ = q->int64_at(0);
}

void SearchIndexer::committed(std::int64_t highest_id) {
  if (highest_id <= committed_through_.load(std::memory_order_relaxed)) return;
  committed_through_.store(highest_id, std::memory_order_release);
  if (!waiting_since_ && highest_id > indexed_through()) waiting_since_ = Clock::now();
}

std::optional<SearchIndexer::Clock::time_point> SearchIndexer::deadline() const {
  if (!waiting_since_) return std::nullopt;
  return std::max(*waiting_since_ + delay, retry_at_);
}

bool SearchIndexer::due(Clock::time_point now) const {
  if (!waiting_since_ || now < retry_at_) return false;
  return committed_through() - indexed_through() >= batch || now >= *waiting_since_ + delay;
}

void SearchIndexer::run() {
  const std::int64_t from = indexed_through();
  const std::int64_t to = std::min(committed_through(), from + max_chunk);
  if (to <= from) {
    waiting_since_.reset();
    return;
  }
  try {
    connection_.exec("BEGIN IMMEDIATE");
    try {
      for (const char* sql : {index_keys_sql, index_content_sql}) {
        if (sql == index_content_sql && cipher_.enabled()) {
          index_keyed_terms(from, to);
          continue;
        }
        sqlite::StatementUse q(connection_.statement(sql));
        q->bind(1, from);
        q->bind(2, to);
        q->run();
      }
      {
        sqlite::StatementUse q(connection_.statement(record_watermark_sql));
        q->bind(1, to);
        q->run();
      }
      connection_.exec("COMMIT");
    } catch (...) {
      sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } catch (const std::exception& e) {
    logger::error("store", std::string("search indexing failed (tried again in 1 s): ") + e.what());
    retry_at_ = Clock::now() + retry_pause;
    return;
  }
  indexed_through_.store(to, std::memory_order_release);
  // What is left (a backfill, or a burst beyond max_chunk) is due at once.
  if (committed_through() > to) {
    waiting_since_ = Clock::now() - delay;
  } else {
    waiting_since_.reset();
  }
}

void SearchIndexer::forget_pruned() {
  for (const char* sql : {forget_keys_sql, forget_content_sql}) {
    // An encrypted store's messages_fts is empty (emptied when encryption was
    // turned on): a 'delete' of what it never indexed would corrupt it.
    if (sql == forget_content_sql && cipher_.enabled()) continue;
    sqlite::StatementUse q(connection_.statement(sql));
    q->bind(1, indexed_through());
    q->run();
  }
  for (const char* sql : {forget_terms_fts_sql, forget_terms_sql}) sqlite::StatementUse(connection_.statement(sql))->run();
}

void SearchIndexer::index_keyed_terms(std::int64_t from, std::int64_t to) {
  const auto keys = cipher_.keys();
  sqlite::StatementUse rows(connection_.statement(
      "SELECT id, raw, CASE WHEN transformed_type <> '' THEN transformed END FROM messages WHERE id > ?1 AND id <= ?2"));
  rows->bind(1, from);
  rows->bind(2, to);
  sqlite::Statement& put = connection_.statement("INSERT OR REPLACE INTO message_terms (id, terms) VALUES (?1, ?2)");
  sqlite::Statement& index = connection_.statement("INSERT INTO message_terms_fts (rowid, terms) VALUES (?1, ?2)");
  while (rows->step()) {
    const std::int64_t id = rows->int64_at(0);
    std::string document;
    try {
      document = keyed_terms::document(keys->current(), cipher_.open(rows->string_at(1), sealed::message_row(id, "raw")),
                                       cipher_.open(rows->string_at(2), sealed::message_row(id, "transformed")));
    } catch (const ValueTampered& e) {
      logger::error("store", std::string("message not indexed for text search: ") + e.what());
    }
    for (sqlite::Statement* st : {&put, &index}) {
      sqlite::StatementUse q(*st);
      q->bind(1, id);
      q->bind_text(2, document);
      q->run();
    }
  }
}

}  // namespace artery
