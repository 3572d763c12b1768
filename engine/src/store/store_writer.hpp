// The store's single writer: one thread with its own connection takes every
// operation queued since its last commit (up to max_batch) and commits them in
// ONE transaction, then runs their callbacks in order.
//
// When it commits: an operation somebody waits for (a flush, a prune, a write
// with a callback, an insert not already in the intake log) is committed at
// once, and whatever arrives during that commit forms the next batch. Messages
// already durable in the intake log and delivery updates wait for company: up
// to `linger` or `linger_batch` operations, so one transaction carries many.
#pragma once
#include "store/message_store.hpp"
#include "store/search_indexer.hpp"
#include "store/sqlite_connection.hpp"
#include "store/wal_checkpointer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace artery {

// A message with its id set is already in the intake log: the writer applies
// it (once: see intake_applied) and records how far it got.
struct InsertMessageOp {
  NewMessage message;
  std::function<void(std::int64_t id, const std::string& error)> done;
  // Updates to its deliveries that arrived in the same batch: the rows are
  // inserted in their final state instead of inserted, then updated.
  std::vector<DeliveryUpdate> folded;
  // The id the writer gave a message without one (durability fsync), kept so
  // that a batch applied again uses the id its values are sealed under.
  std::int64_t assigned_id = 0;
};
struct UpdateDeliveryOp {
  DeliveryUpdate update;
  MessageStore::Done done;
};
struct PutValueOp {
  std::string channel, key, value;
  MessageStore::Done done;
};
struct EraseValueOp {
  std::string channel, key;
  MessageStore::Done done;
};
// Deletes up to `limit` prunable messages of a channel; done(deleted, error).
struct PruneChunkOp {
  std::string channel;
  std::optional<std::int64_t> older_than_ms;  // received_at below this
  std::optional<std::int64_t> keep_newest;    // keep this many newest
  int limit = 0;
  std::function<void(std::int64_t deleted, const std::string& error)> done;
};
// Completes after everything queued before it has been committed.
struct FlushOp {
  std::function<void()> done;
};
// The key pass (store_key_pass.cpp): re-seals the messages with id > after_id
// (up to `limit` of them) not sealed with the current key, with their
// deliveries, patient id hash and search words. done(last id looked at, 0
// when there is none left; rows changed; error).
struct ResealChunkOp {
  std::int64_t after_id = 0;
  // The highest id when the pass started: later messages are sealed with the
  // current key already, and a pass chasing live traffic would never end.
  std::int64_t through_id = 0;
  int limit = 0;
  std::function<void(std::int64_t last_id, std::int64_t changed, const std::string& error)> done;
};
// The key pass's other tables: writes the check values of `put_checks`, drops
// those of `drop_checks`, and (reseal_values) re-seals the kv values.
struct KeyTablesOp {
  std::vector<std::pair<std::uint32_t, std::string>> put_checks;
  std::vector<std::uint32_t> drop_checks;
  bool reseal_values = false;
  std::int64_t completed_key = 0;  // set: store_meta.sealed_key (every value is sealed with it)
  bool optimize_indexes = false;   // merge message_keys and message_terms_fts (drops deleted entries)
  MessageStore::Done done;
};
using WriteOp = std::variant<InsertMessageOp, UpdateDeliveryOp, PutValueOp, EraseValueOp, PruneChunkOp, FlushOp,
                             ResealChunkOp, KeyTablesOp>;

// Process-wide totals (all writers), for benchmarks and metrics.
struct StoreWriterTotals {
  static inline std::atomic<std::int64_t> transactions{0};
  static inline std::atomic<std::int64_t> operations{0};
  static inline std::atomic<std::int64_t> folded_updates{0};  // written with their message's insert
};

class StoreWriter {
 public:
  static constexpr std::size_t max_batch = 4096;
  // 5 ms rather than 1: on 2 cores, 16 MLLP connections went 37k -> 40-42k msg/s,
  // as fewer, larger transactions write each index and counter page less often.
  static constexpr std::size_t linger_batch = 2048;
  // Writes nobody waits for are held back beyond this many queued, so that
  // producers faster than SQLite slow down instead of filling memory.
  static constexpr std::size_t max_queued = 16384;
  static constexpr std::chrono::microseconds linger{5000};
  // Called after each commit that applied intake log records, with the highest id.
  using Applied = std::function<void(std::int64_t id)>;

  // Takes a connection to `file` already set up by prepare_writer_connection().
  // `cipher` (outlives the writer) seals what arrives unsealed: inserts with
  // durability fsync (no intake record), and the key pass.
  StoreWriter(std::unique_ptr<sqlite::Connection> connection, const std::filesystem::path& file,
              Durability durability, Applied applied = {}, const ValueCipher* cipher = nullptr);
  ~StoreWriter();  // commits what is queued, then stops
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  void submit(WriteOp op);
  // Coalesced in memory; committed with the next batch, or within 50 ms.
  void add_counters(const CounterDelta& delta);
  bool on_writer_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  // The next id the writer would assign; the highest intake record it applied.
  // Both read before any write is submitted, or after a flush.
  std::int64_t next_id() const { return next_id_; }
  // The highest intake record committed to SQLite (any thread).
  std::int64_t intake_applied() const { return intake_applied_.load(std::memory_order_acquire); }
  // The search indexes' progress (its watermarks are safe to read on any thread).
  const SearchIndexer& indexer() const { return *indexer_; }

 private:
  using CounterKey = std::pair<std::string, std::string>;  // channel, destination
  using CounterMap = std::map<CounterKey, Counters>;
  struct Statements;
  // Outcome of one operation inside a committed transaction.
  struct Outcome {
    std::int64_t value = 0;  // inserted id, or deleted count, or the last id resealed
    std::string error;       // an operation-level failure (the transaction still commits)
    std::int64_t changed = 0;  // ResealChunkOp: rows re-sealed
  };

  void run();
  void commit(std::vector<WriteOp>& batch, CounterMap& counters);
  void give_up(std::vector<WriteOp>& batch, const std::string& error);
  void fold_updates(std::vector<WriteOp>& batch);
  Outcome apply(WriteOp& op);
  Outcome apply(InsertMessageOp& op);
  Outcome apply(UpdateDeliveryOp& op);
  Outcome apply(PutValueOp& op);
  Outcome apply(EraseValueOp& op);
  Outcome apply(PruneChunkOp& op);
  Outcome apply(FlushOp&) { return {}; }
  Outcome apply(ResealChunkOp& op);  // store_key_pass.cpp
  Outcome apply(KeyTablesOp& op);
  void write_counters(const CounterMap& counters);
  static void finish(WriteOp& op, const Outcome& outcome);
  static bool urgent(const WriteOp& op);
  static bool retryable(const WriteOp& op);
  static void fail(WriteOp& op, const std::string& error);

  const ValueCipher* cipher_;
  std::unique_ptr<sqlite::Connection> connection_;
  std::unique_ptr<Statements> statements_;
  std::unique_ptr<WalCheckpointer> checkpointer_;
  // Runs on this thread between batches (see SearchIndexer).
  std::unique_ptr<SearchIndexer> indexer_;
  // Ids are assigned here rather than by SQLite so that they never go back,
  // even when retention deletes the newest messages (see store_meta.id_floor).
  std::int64_t next_id_ = 1;
  std::atomic<std::int64_t> intake_applied_{0};  // store_meta.intake_applied: records up to it are in SQLite
  bool given_up_ = false;  // a commit failed while stopping: nothing more may commit
  std::int64_t batch_intake_ = 0;    // the highest intake record in the batch being committed
  Applied applied_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable room_;  // queue_ fell below max_queued
  int waiting_for_room_ = 0;
  std::vector<WriteOp> queue_;
  // The writer thread's own: halved after a failed transaction, doubled back
  // after each commit (up to max_batch).
  std::size_t batch_limit_ = max_batch;
  std::atomic<bool> queued_{false};  // queue_ is non-empty: read without the lock while spinning
  bool urgent_ = false;              // queue_ holds an operation somebody waits for
  CounterMap counters_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace artery
