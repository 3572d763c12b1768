// Writes the search indexes (message_keys: control id, patient id, message
// type; messages_fts: content) for messages the StoreWriter has committed,
// on a thread and connection of its own, in batches. The acknowledgement
// never waits for it: a message is acknowledged once it is in the intake log
// (or, with fsync, once committed), and the writer's own commit carries no
// search index either. The thread runs at a lower CPU priority (nice +10), so
// that on a busy machine the MLLP path keeps the CPU and the indexer catches
// up when there is some to spare.
//
// The lag: messages are indexed `delay` after the commit that stored them, or
// as soon as `batch` of them wait, plus the time the index transaction takes;
// at most `max_lag` messages behind, beyond which the writer waits for the
// indexer before its next batch (see docs/operations.md, "Message search").
// The watermark store_meta.indexed_through, updated in the same transaction as
// the index rows, says up to which id the indexes are complete.
#pragma once
#include "store/sqlite_connection.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

namespace artery {

class SearchIndexer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds delay{100};
  static constexpr std::int64_t batch = 2048;
  // At most this many ids per index transaction: it holds SQLite's write lock,
  // which the store writer then waits for.
  static constexpr std::int64_t max_chunk = 2048;
  static constexpr std::int64_t max_lag = 100000;

  // Opens its own connection to `file` (schema already prepared) and starts.
  // Throws sqlite::Error.
  explicit SearchIndexer(const std::filesystem::path& file);
  ~SearchIndexer();  // stops; what is not indexed yet is indexed at the next start
  SearchIndexer(const SearchIndexer&) = delete;
  SearchIndexer& operator=(const SearchIndexer&) = delete;

  // The writer committed messages up to `highest_id`.
  void committed(std::int64_t highest_id);
  // The writer, between batches: waits (at most `at_most`) while more than
  // max_lag messages wait for the index.
  void wait_for_room(std::chrono::milliseconds at_most);
  // On the writer's connection, inside the prune transaction, before the
  // messages in temp.prune_ids are deleted: removes their index entries.
  static void forget_pruned(sqlite::Connection& writer);

  // Any thread.
  std::int64_t indexed_through() const { return indexed_through_.load(std::memory_order_acquire); }
  std::int64_t committed_through() const { return committed_through_.load(std::memory_order_acquire); }

 private:
  void run();
  bool index_chunk();  // false on failure (logged)

  std::unique_ptr<sqlite::Connection> connection_;
  std::atomic<std::int64_t> indexed_through_{0};
  std::atomic<std::int64_t> committed_through_{0};
  std::mutex mutex_;
  std::condition_variable wake_;    // committed, or stopping
  std::condition_variable caught_up_;  // indexed_through advanced
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace artery
