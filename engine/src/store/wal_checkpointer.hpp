// Moves WAL checkpoints off the writer's commit path. SQLite's automatic
// checkpoint runs inside the COMMIT that crosses the threshold, fsyncs there,
// and stalls every acknowledgement waiting on that commit. Instead the writer's
// WAL hook asks this thread, which checkpoints (PASSIVE: never blocks the
// writer) on its own connection. Under sustained load a passive checkpoint may
// never catch up with the writer, so past a hard limit the writer checkpoints
// itself once, which lets the WAL file restart from the beginning.
#pragma once
#include "store/sqlite_connection.hpp"

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

namespace artery {

class WalCheckpointer {
 public:
  static constexpr int background_frames = 1000;  // about 4 MiB of WAL
  static constexpr int inline_frames = 8000;      // about 32 MiB

  // Installs the WAL hook on `writer` (which must outlive this object) and
  // opens a connection of its own to `file`. Throws sqlite::Error.
  WalCheckpointer(sqlite3* writer, const std::filesystem::path& file, bool fsync_durability);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void request();
  void run();

  sqlite3* writer_;
  int requested_at_frames_ = 0;  // used on the writer thread only
  std::unique_ptr<sqlite::Connection> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace artery
