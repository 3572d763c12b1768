#include "store/wal_checkpointer.hpp"

namespace artery {

WalCheckpointer::WalCheckpointer(sqlite3* writer, const std::filesystem::path& file, bool fsync_durability)
    : writer_(writer) {
  connection_ = sqlite::Connection::open(file, /*read_only=*/false);
  connection_->exec("PRAGMA busy_timeout = 10000");
  // A checkpoint syncs the WAL before copying it and the database after, at
  // either level; FULL also keeps the connection's own settings consistent.
  connection_->exec(fsync_durability ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  connection_->exec("PRAGMA wal_autocheckpoint = 0");
  // Replaces SQLite's automatic checkpoint on the writer connection.
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

// Runs on the writer thread after each commit, with the WAL's frame count.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  if (frames >= inline_frames) {
    // The background checkpoints have copied most frames already; this copies
    // the rest with no write in progress, so the next transaction can restart
    // the WAL at its beginning instead of growing it.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  // Ask once per background_frames of growth, not after every commit while
  // the WAL waits for the writer to restart it.
  if (frames < checkpointer->requested_at_frames_) checkpointer->requested_at_frames_ = 0;  // restarted
  if (frames >= checkpointer->requested_at_frames_ + background_frames) {
    checkpointer->requested_at_frames_ = frames;
    checkpointer->request();
  }
  return SQLITE_OK;
}

void WalCheckpointer::request() {
  {
    std::lock_guard lock(mutex_);
    if (requested_) return;
    requested_ = true;
  }
  wake_.notify_one();
}

void WalCheckpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return requested_ || stopping_; });
      if (stopping_) return;
    }
    // A failure (SQLITE_BUSY while another checkpoint runs) only delays the
    // checkpoint; the next request or the writer's hard limit retries it.
    sqlite3_wal_checkpoint_v2(connection_->handle(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::lock_guard lock(mutex_);
    requested_ = false;  // commits during the checkpoint ask again if the WAL is still long
  }
}

}  // namespace artery
