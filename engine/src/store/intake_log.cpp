#include "store/intake_log.hpp"

#include "store/intake_record.hpp"

#include "log/logger.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace artery {
namespace {

std::system_error os_error(const std::string& what) { return {errno, std::generic_category(), what}; }

// Segment files are named by their first id, zero-padded so names sort as ids.
std::filesystem::path segment_name(const std::filesystem::path& dir, std::int64_t first_id) {
  char name[40];
  std::snprintf(name, sizeof name, "%020lld.log", static_cast<long long>(first_id));
  return dir / name;
}

bool read_file(const std::filesystem::path& file, std::string& out) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out.clear();
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return n == 0;
    }
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::unique_ptr<IntakeLog> IntakeLog::open(const std::filesystem::path& dir, std::vector<NewMessage>& recovered,
                                           std::size_t& damaged, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "cannot create the intake log folder " + dir.string() + ": " + ec.message();
    return nullptr;
  }
  // Two engines on one store would each replay the other's records.
  int lock_fd = ::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    error = lock_fd < 0 ? "cannot open " + (dir / "lock").string() + ": " + std::generic_category().message(errno)
                        : "the store " + dir.parent_path().string() + " is in use by another engine";
    if (lock_fd >= 0) ::close(lock_fd);
    return nullptr;
  }
  std::unique_ptr<IntakeLog> log(new IntakeLog(dir, lock_fd));

  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".log") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  damaged = 0;
  std::string bytes;
  for (const auto& file : files) {
    if (!read_file(file, bytes)) {
      error = "cannot read the intake log " + file.string() + ": " + std::generic_category().message(errno);
      return nullptr;
    }
    std::string_view rest(bytes);
    Segment segment{file, 0};
    for (;;) {
      NewMessage message;
      std::size_t size = 0;
      auto read = intake_record::decode(rest, message, size);
      if (read != intake_record::Read::ok) {
        // Up to the last byte written: the rest is preallocated zeros.
        if (read == intake_record::Read::damaged) damaged += rest.find_last_not_of('\0') + 1;
        break;
      }
      rest.remove_prefix(size);
      segment.last_id = std::max(segment.last_id, message.id);
      recovered.push_back(std::move(message));
    }
    if (segment.last_id > 0) {
      log->closed_.push_back(std::move(segment));
    } else {
      std::filesystem::remove(file, ec);  // nothing in it to recover, and its name may be taken next
    }
  }
  // Replayed in id order whatever the file names say.
  std::stable_sort(recovered.begin(), recovered.end(),
                   [](const NewMessage& a, const NewMessage& b) { return a.id < b.id; });
  return log;  // its first segment is made by the first append
}

IntakeLog::IntakeLog(std::filesystem::path dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

IntakeLog::~IntakeLog() {
  unmap();
  {
    std::lock_guard lock(segments_mutex_);
    std::error_code ec;
    if (!current_.empty() && applied_ >= last_id_) std::filesystem::remove(current_, ec);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
}

void IntakeLog::unmap() {
  if (map_) ::munmap(map_, capacity_);
  map_ = nullptr;
}

void IntakeLog::start_segment(std::int64_t first_id, std::size_t record_size) {
  auto file = segment_name(dir_, first_id);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw os_error("cannot create the intake log segment " + file.string());
  // Blocks allocated now: a full disk is an error here, never a SIGBUS later.
  // A volume with less free space than a full segment still takes smaller
  // ones (halving down to min_segment_size): SQLite may well have room for
  // the messages, so they are not refused while a segment can be made.
  std::size_t size = std::max(segment_size, record_size);
  const std::size_t smallest = std::max(min_segment_size, record_size);
  for (;;) {
    int failed = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
    if (failed == 0) break;
    const bool no_space = failed == ENOSPC || failed == EDQUOT;
    if (!no_space || size <= smallest) {
      ::close(fd);
      std::error_code ec;
      std::filesystem::remove(file, ec);
      errno = failed;
      throw os_error("cannot allocate the intake log segment " + file.string() + " (" + std::to_string(size) +
                     " bytes)");
    }
    (void)::ftruncate(fd, 0);  // give back what a failed attempt may have allocated
    size = std::max(size / 2, smallest);
  }
  if (size < segment_size && !degraded_) {
    logger::warn("store", "less free space than a " + std::to_string(segment_size >> 20) +
                              " MiB intake log segment in " + dir_.string() + ": using segments of " +
                              std::to_string(size >> 10) + " KiB until space returns");
  }
  degraded_ = size < segment_size;
  void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) throw os_error("cannot map the intake log segment " + file.string());
  if (map_) {
    unmap();
    std::lock_guard lock(segments_mutex_);
    if (last_id_ > 0) {
      closed_.push_back({current_, last_id_});
    } else if (current_ != file) {
      std::error_code ec;
      std::filesystem::remove(current_, ec);  // empty; and a closed entry must never name a live file
    }
  }
  map_ = static_cast<char*>(map);
  capacity_ = size;
  used_ = 0;
  released_ = 0;
  current_ = std::move(file);
  last_id_ = 0;
}

void IntakeLog::append(const NewMessage& message) {
  buffer_.clear();
  intake_record::encode(message, buffer_);
  if (!map_ || used_ + buffer_.size() > capacity_)
    start_segment(message.id, buffer_.size());
  std::memcpy(map_ + used_, buffer_.data(), buffer_.size());
  used_ += buffer_.size();
  last_id_ = message.id;
  // Written pages would otherwise count in the engine's resident memory
  // until the segment is done. Dropping them from our mapping leaves them,
  // dirty, in the page cache: the file keeps every byte.
  constexpr std::size_t release_every = 1 << 20;
  if (used_ - released_ >= 2 * release_every) {
    ::madvise(map_ + released_, release_every, MADV_DONTNEED);
    released_ += release_every;
  }
}

void IntakeLog::applied(std::int64_t id) {
  std::vector<std::filesystem::path> done;
  {
    std::lock_guard lock(segments_mutex_);
    applied_ = std::max(applied_, id);
    auto keep = std::partition(closed_.begin(), closed_.end(), [&](const Segment& s) { return s.last_id > applied_; });
    for (auto it = keep; it != closed_.end(); ++it) done.push_back(std::move(it->file));
    closed_.erase(keep, closed_.end());
  }
  std::error_code ec;
  for (const auto& file : done) std::filesystem::remove(file, ec);
}

}  // namespace artery
