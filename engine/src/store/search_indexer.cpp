#include "store/search_indexer.hpp"

#include "log/logger.hpp"
#include "store/wal_checkpointer.hpp"

#include <algorithm>
#include <cerrno>
#include <string>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace artery {
namespace {

// Sorted by key: the batch's inserts then walk the B-tree once, left to right.
constexpr const char* index_keys_sql =
    "INSERT OR IGNORE INTO message_keys (key, id) "
    "SELECT 'c' || control_id, id FROM messages WHERE id > ?1 AND id <= ?2 AND control_id <> '' "
    "UNION ALL SELECT 'p' || patient_id, id FROM messages WHERE id > ?1 AND id <= ?2 AND patient_id <> '' "
    "UNION ALL SELECT 't' || message_type, id FROM messages WHERE id > ?1 AND id <= ?2 AND message_type <> '' "
    "ORDER BY 1, 2";
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
constexpr const char* read_watermark_sql = "SELECT value FROM store_meta WHERE key = 'indexed_through'";
// Only what was indexed is removed. The watermark is read inside the prune's
// transaction, which holds the write lock: the indexer cannot move it meanwhile.
constexpr const char* forget_keys_sql =
    "DELETE FROM message_keys WHERE (key, id) IN ("
    "SELECT 'c' || control_id, id FROM messages WHERE id IN temp.prune_ids AND id <= ?1 "
    "UNION ALL SELECT 'p' || patient_id, id FROM messages WHERE id IN temp.prune_ids AND id <= ?1 "
    "UNION ALL SELECT 't' || message_type, id FROM messages WHERE id IN temp.prune_ids AND id <= ?1)";
constexpr const char* forget_content_sql =
    "INSERT INTO messages_fts (messages_fts, rowid, raw, transformed) "
    "SELECT 'delete', id, raw, " ARTERY_INDEXED_TRANSFORMED " FROM messages WHERE id IN temp.prune_ids AND id <= ?1";
#undef ARTERY_INDEXED_TRANSFORMED

// Readers and the writer wait this long for the write lock.
constexpr int busy_timeout_ms = 10000;
constexpr auto retry_pause = std::chrono::seconds(1);

}  // namespace

SearchIndexer::SearchIndexer(const std::filesystem::path& file)
    : connection_(sqlite::Connection::open(file, /*read_only=*/false)) {
  connection_->exec("PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms));
  connection_->exec("PRAGMA cache_size = -8192");
  // Its commits also grow the WAL. The WalCheckpointer only hears of the
  // writer's, so this connection checkpoints (PASSIVE) after a commit that
  // leaves the WAL at the writer's hard limit: otherwise an index commit
  // landing between the writer's checkpoint and its next transaction would
  // keep the WAL from ever restarting.
  connection_->exec("PRAGMA wal_autocheckpoint = " + std::to_string(WalCheckpointer::inline_frames));
  {
    sqlite::StatementUse q(connection_->statement(read_watermark_sql));
    if (q->step()) indexed_through_ = q->int64_at(0);
  }
  thread_ = std::thread([this] { run(); });
}

SearchIndexer::~SearchIndexer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  caught_up_.notify_all();
  thread_.join();
}

void SearchIndexer::committed(std::int64_t highest_id) {
  if (highest_id <= committed_through_.load(std::memory_order_relaxed)) return;
  const bool was_idle = committed_through_.load(std::memory_order_relaxed) <= indexed_through();
  committed_through_.store(highest_id, std::memory_order_release);
  // The indexer sleeps through its delay on its own; only an idle one needs waking.
  if (was_idle || highest_id - indexed_through() >= batch) {
    std::lock_guard lock(mutex_);
    wake_.notify_one();
  }
}

void SearchIndexer::wait_for_room(std::chrono::milliseconds at_most) {
  if (committed_through() - indexed_through() <= max_lag) return;
  std::unique_lock lock(mutex_);
  wake_.notify_one();
  caught_up_.wait_for(lock, at_most,
                      [this] { return stopping_ || committed_through() - indexed_through() <= max_lag; });
}

void SearchIndexer::forget_pruned(sqlite::Connection& writer) {
  std::int64_t watermark = 0;
  {
    sqlite::StatementUse q(writer.statement(read_watermark_sql));
    if (q->step()) watermark = q->int64_at(0);
  }
  for (const char* sql : {forget_keys_sql, forget_content_sql}) {
    sqlite::StatementUse q(writer.statement(sql));
    q->bind(1, watermark);
    q->run();
  }
}

void SearchIndexer::run() {
#ifdef __linux__
  // Lower priority for this thread only (Linux nice values are per thread).
  const id_t tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int nice_now = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(19, nice_now + 10));
#endif
  std::unique_lock lock(mutex_);
  for (;;) {
    // Wait for work, then for company: `delay`, or until `batch` wait.
    wake_.wait(lock, [this] { return stopping_ || committed_through() > indexed_through(); });
    if (stopping_) return;
    const auto due = Clock::now() + delay;
    wake_.wait_until(lock, due, [this] { return stopping_ || committed_through() - indexed_through() >= batch; });
    if (stopping_) return;
    lock.unlock();
    bool ok = true;
    while (ok && committed_through() > indexed_through()) {
      ok = index_chunk();
      caught_up_.notify_all();
      if (committed_through() - indexed_through() < batch) break;  // the rest waits for company
    }
    lock.lock();
    if (!ok) wake_.wait_for(lock, retry_pause, [this] { return stopping_; });
  }
}

bool SearchIndexer::index_chunk() {
  const std::int64_t from = indexed_through();
  const std::int64_t to = std::min(committed_through(), from + max_chunk);
  try {
    connection_->exec("BEGIN IMMEDIATE");
    try {
      for (const char* sql : {index_keys_sql, index_content_sql}) {
        sqlite::StatementUse q(connection_->statement(sql));
        q->bind(1, from);
        q->bind(2, to);
        q->run();
      }
      {
        sqlite::StatementUse q(connection_->statement(record_watermark_sql));
        q->bind(1, to);
        q->run();
      }
      connection_->exec("COMMIT");
    } catch (...) {
      sqlite3_exec(connection_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } catch (const std::exception& e) {
    logger::error("store", std::string("search indexing failed (tried again in 1 s): ") + e.what());
    return false;
  }
  indexed_through_.store(to, std::memory_order_release);
  return true;
}

}  // namespace artery
