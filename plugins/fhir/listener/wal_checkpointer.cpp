#include "listener/wal_checkpointer.hpp"

#include <sqlite3.h>

namespace artery::fhir {

WalCheckpointer::WalCheckpointer(SqliteDb& writer, const std::filesystem::path& file) : writer_(writer) {
  connection_ = std::make_unique<SqliteDb>(file);
  // A checkpoint syncs the WAL before copying it and the database after.
  connection_->exec("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;");
  writer_.exec("PRAGMA wal_autocheckpoint = 0");
  sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::on_commit, this);
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_.handle(), nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

// On the writer thread after each commit, with the WAL's frame count.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  if (frames >= inline_frames) {
    // The background has copied most frames already; this copies the rest
    // with no write in progress, so the next transaction restarts the WAL.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  auto* c = static_cast<WalCheckpointer*>(self);
  // Once per background_frames of growth, not after every commit.
  if (frames < c->requested_at_frames_) c->requested_at_frames_ = 0;  // the WAL restarted
  if (frames >= c->requested_at_frames_ + background_frames) {
    c->requested_at_frames_ = frames;
    {
      std::lock_guard lock(c->mutex_);
      if (c->requested_) return SQLITE_OK;
      c->requested_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return requested_ || stopping_; });
      if (stopping_) return;
    }
    // A failure (busy) only delays it: the next request or the hard limit retries.
    sqlite3_wal_checkpoint_v2(connection_->handle(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::lock_guard lock(mutex_);
    requested_ = false;
  }
}

}  // namespace artery::fhir
