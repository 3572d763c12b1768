// The intake log: where an accepted message becomes durable before it is
// acknowledged. Each message is one record copied into a segment file
// (`artery.db-intake/<first id>.log`), preallocated and mapped into memory
// (MAP_SHARED: the bytes are in the page cache the moment they are copied,
// with no system call per message); the store writer then
// copies it into SQLite with everything else queued in the last few milliseconds,
// in one transaction, and records the highest id it applied. Segments whose
// every record is applied are deleted; at start-up the records not yet
// applied are read back and applied.
//
// Why: a record in the page cache is exactly as durable as a SQLite commit
// with synchronous=NORMAL (both survive a process crash, neither a power
// cut), but it costs a memcpy instead of a B-tree transaction, so a sender
// waiting for its ACK no longer waits for SQLite. With
// `durability: fsync` the store does not use this log: its group commit
// already amortises the fsync.
#pragma once
#include "store/message_store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace artery {

class IntakeLog {
 public:
  // Opens (creating) `dir` and locks it against a second engine, then reads
  // back every record of its segments, oldest first, into `recovered`.
  // `damaged` tells how many bytes were unreadable (a record torn by a crash
  // during its write: it was never acknowledged). nullptr with `error`.
  static std::unique_ptr<IntakeLog> open(const std::filesystem::path& dir, std::vector<NewMessage>& recovered,
                                         std::size_t& damaged, std::string& error);
  ~IntakeLog();  // deletes the last segment too when all of it is applied
  IntakeLog(const IntakeLog&) = delete;
  IntakeLog& operator=(const IntakeLog&) = delete;

  // Writes `message` (its id set) as one record. Not thread-safe: the store
  // calls it under its own lock, which also orders ids. Throws
  // std::system_error when no segment can be made for it (the disk is full).
  void append(const NewMessage& message);

  // The store has committed every record with an id up to `id` (any thread).
  void applied(std::int64_t id);

  // Each segment's preallocated size (larger for a larger record). With less
  // free space than that, segments halve down to min_segment_size before a
  // message is refused; the next segment tries the full size again.
  static constexpr std::size_t segment_size = 32 << 20;
  static constexpr std::size_t min_segment_size = 64 << 10;

 private:
  struct Segment {
    std::filesystem::path file;
    std::int64_t last_id = 0;
  };
  IntakeLog(std::filesystem::path dir, int lock_fd);
  void start_segment(std::int64_t first_id, std::size_t record_size);
  void unmap();

  std::filesystem::path dir_;
  int lock_fd_ = -1;
  // The segment being appended to.
  char* map_ = nullptr;
  std::size_t capacity_ = 0, used_ = 0;
  std::size_t released_ = 0;  // the prefix already dropped from our memory (see append)
  std::filesystem::path current_;
  std::int64_t last_id_ = 0;
  std::string buffer_;
  bool degraded_ = false;  // the current segment is smaller than segment_size (warned once per episode)

  std::mutex segments_mutex_;  // guards closed_ and applied_ (applied() runs on the writer thread)
  std::vector<Segment> closed_;  // full segments, oldest first
  std::int64_t applied_ = 0;
};

}  // namespace artery
