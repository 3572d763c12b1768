// Moves the repository's WAL checkpoints off its writer thread, as the
// engine's store does (engine/src/store/wal_checkpointer.hpp): SQLite's
// automatic checkpoint runs inside the COMMIT that crosses 1000 frames,
// fsyncs the WAL and the database there, and every create waiting on that
// commit waits for the fsyncs (the p99 of a create was 8-15 ms, its p50
// 0.3 ms). Instead the writer's WAL hook wakes this thread, which
// checkpoints PASSIVE (never blocking the writer) on its own connection.
// Should the background never catch up, past a hard limit the writer copies
// the rest itself, so the WAL can restart from its beginning.
#pragma once
#include "listener/sqlite_db.hpp"

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

namespace artery::fhir {

class WalCheckpointer {
 public:
  static constexpr int background_frames = 1000;  // about 4 MiB of WAL
  static constexpr int inline_frames = 8000;      // about 32 MiB

  // Installs the WAL hook on `writer` (which must outlive this object) and
  // opens a connection of its own to `file`.
  WalCheckpointer(SqliteDb& writer, const std::filesystem::path& file);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void run();

  SqliteDb& writer_;
  int requested_at_frames_ = 0;  // writer thread only
  std::unique_ptr<SqliteDb> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace artery::fhir
