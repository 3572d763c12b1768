// A channel's FHIR repository: one SQLite file (WAL), read from any thread
// through a small pool of connections, written by one writer that commits
// several requests' writes in one transaction (group commit); one failing
// write does not undo the others (see write_batch).
#pragma once
#include "listener/resource_store.hpp"
#include "listener/search_index.hpp"
#include "listener/search_query.hpp"
#include "listener/search_terms.hpp"
#include "listener/sqlite_db.hpp"
#include "listener/wal_checkpointer.hpp"

#include <artery/value_cipher.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace artery::fhir {

// One version to store, with its search rows (computed before submit, so the
// commit does no JSON work).
struct PlannedWrite {
  StoredVersion version;
  std::vector<IndexRow> rows;
};

struct SearchResult {
  std::int64_t total = 0;
  std::vector<StoredVersion> matches;
  std::vector<StoredVersion> included;
};

class Repository {
 public:
  // `cipher` (the engine's, ConnectorContext::value_cipher(); it outlives
  // the repository) seals what is written; `channel` names the rows in the
  // associated data. Throws when the file is sealed with a key the cipher
  // does not have, or encryption is off for a sealed file: nothing is
  // overwritten.
  explicit Repository(const std::filesystem::path& file, const ValueCipher& cipher = ValueCipher::disabled(),
                      std::string channel = "");
  ~Repository();  // stops the writer after what is queued

  // How the index holds values now, for parse_search.
  std::shared_ptr<const SearchTerms> terms() const;
  // True while the sealing pass has rows left (tests, the log).
  bool sealing() const { return sealing_.load(); }

  // Reads, from any thread.
  std::optional<StoredVersion> current(const std::string& type, const std::string& id);
  std::optional<StoredVersion> version(const std::string& type, const std::string& id, std::int64_t version);
  std::vector<StoredVersion> history(const std::string& type, const std::string& id);
  SearchResult search(const SearchQuery& query);
  // The ids a conditional search matches (at most `limit`).
  std::vector<std::string> match_ids(const SearchQuery& query, std::int64_t limit);
  bool empty();

  // Queues writes for the writer thread; `after(error)` runs on it once they
  // are committed ("" ) or failed (the reason). Writes of one call are atomic.
  void commit(std::vector<PlannedWrite> writes, std::function<void(const std::string& error)> after);
  // The same, synchronously on the caller's thread (seeding at start).
  void commit_now(const std::vector<PlannedWrite>& writes);

 private:
  struct Job {
    std::vector<PlannedWrite> writes;
    std::function<void(const std::string&)> after;
    std::string error;  // sealing failed: nothing is written, `after` gets this in its turn
  };
  class ReaderLease;
  std::unique_ptr<SqliteDb> lease();
  void give_back(std::unique_ptr<SqliteDb> db);
  void writer_loop();
  // The error of each job ("" when committed).
  std::vector<std::string> write_batch(const std::vector<Job>& jobs);
  // BEGIN IMMEDIATE, `writes`, COMMIT; rolled back when anything throws.
  void transaction(const std::function<void()>& writes);
  void apply(SqliteDb& db, const std::vector<PlannedWrite>& writes);
  // Seals the JSON and hashes the rows (caller's thread).
  void seal(std::vector<PlannedWrite>& writes);
  // What the meta table says at open: starts the sealing pass if needed.
  void open_sealing_state();
  // One batch of the sealing pass; false when the pass is done.
  bool seal_next_batch();
  void rebuild_terms(bool plain_rows_remain);
  ResourceStore store(SqliteDb& db) const { return ResourceStore(db, cipher_, channel_); }

  std::filesystem::path file_;
  const ValueCipher& cipher_;
  const std::string channel_;
  mutable std::mutex terms_mutex_;
  std::shared_ptr<const SearchTerms> terms_;
  // The sealing pass: where it is (type, id, version), and the sealed probe
  // in repository_meta whose key tells which key the last complete pass used.
  std::atomic<bool> sealing_{false};
  std::string cursor_type_, cursor_id_;
  std::int64_t cursor_version_ = -1;
  std::string probe_;
  std::unique_ptr<SqliteDb> writer_db_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // after writer_db_: goes first
  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<SqliteDb>> readers_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::vector<Job> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace artery::fhir
