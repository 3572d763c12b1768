// Writes the search indexes (message_keys: control id, patient id, message
// type; messages_fts: content) for messages the StoreWriter has committed,
// in batches of its own transactions on the writer's connection and thread,
// between the writer's batches. The acknowledgement never waits for it: a
// message is acknowledged once it is in the intake log, and the writer's
// commit is already after that; this moves the random-keyed B-tree inserts and
// the tokenising out of that commit, too, and makes them cheaper per message
// (one index transaction carries thousands of messages, sorted by key).
//
// Why on the writer's thread rather than a thread and connection of its own
// (tried): SQLite's write lock is not fair. An indexer that is behind takes it
// again right after each of its commits while the writer sleeps in its busy
// handler, and the writer's queue filled up (measured: 16 MLLP connections
// lost a third of their rate). Here the two simply take turns.
//
// The lag: messages are indexed at the latest `delay` after the commit that
// stored them, or as soon as `batch` of them wait, plus the time the index
// transaction takes. As the writer indexes up to max_chunk after each batch
// of at most StoreWriter::max_batch, the indexes never fall further behind
// than about batch + max_batch messages, whatever the load: past that, the
// writer's time goes to indexing and its queue, then producers, wait (see
// docs/operations.md, "Message search"). The watermark
// store_meta.indexed_through, updated in the same transaction as the index
// rows, says up to which id the indexes are complete.
#pragma once
#include "store/sqlite_connection.hpp"

#include <artery/value_cipher.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace artery {

class SearchIndexer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds delay{100};
  static constexpr std::int64_t batch = 4096;
  // At most this many ids per index transaction, so that a backfill (a store
  // upgraded from v2) interleaves with live writes instead of stalling them.
  static constexpr std::int64_t max_chunk = 8192;

  // Reads the watermark. `connection` is the writer's and outlives this, so
  // does `cipher`: when enabled, content words go to message_terms as keyed
  // hashes (store/keyed_terms.hpp) instead of into messages_fts.
  SearchIndexer(sqlite::Connection& connection, const ValueCipher& cipher);

  // Writer thread: the writer committed messages up to `highest_id`.
  void committed(std::int64_t highest_id);
  // Writer thread: when run() is due next (nullopt: nothing to index).
  std::optional<Clock::time_point> deadline() const;
  bool due(Clock::time_point now) const;
  // Writer thread, outside any transaction: indexes up to max_chunk ids past
  // the watermark in one transaction. A failure is logged and retried later.
  void run();
  // Writer thread, inside the prune transaction, before the messages in
  // temp.prune_ids are deleted: removes their index entries.
  void forget_pruned();

  // Any thread.
  std::int64_t indexed_through() const { return indexed_through_.load(std::memory_order_acquire); }
  std::int64_t committed_through() const { return committed_through_.load(std::memory_order_acquire); }

 private:
  void index_keyed_terms(std::int64_t from, std::int64_t to);

  sqlite::Connection& connection_;
  const ValueCipher& cipher_;
  std::atomic<std::int64_t> indexed_through_{0};
  std::atomic<std::int64_t> committed_through_{0};
  std::optional<Clock::time_point> waiting_since_;  // the oldest unindexed commit
  Clock::time_point retry_at_{};  // after a failure
};

}  // namespace artery
