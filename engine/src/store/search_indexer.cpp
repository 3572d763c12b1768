#include "store/search_indexer.hpp"

#include "log/logger.hpp"

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

constexpr auto retry_pause = std::chrono::seconds(1);

}  // namespace

SearchIndexer::SearchIndexer(sqlite::Connection& connection) : connection_(connection) {
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
    sqlite::StatementUse q(connection_.statement(sql));
    q->bind(1, indexed_through());
    q->run();
  }
}

}  // namespace artery
