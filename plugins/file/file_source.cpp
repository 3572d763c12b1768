#include "file_source.hpp"

#include "file_io.hpp"
#include "file_relocation.hpp"
#include "message_splitter.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

namespace artery::file_connector {

namespace fs = std::filesystem;

// Messages handed to the channel and not answered yet, shared with the `done`
// callbacks (which may outlive a scan but never the shared state they hold).
struct FileSource::Window {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t outstanding = 0;
  std::size_t limit = 1;
};

// One file's messages in flight. Fields are guarded by Window::mutex.
struct FileSource::Batch {
  ListedFile file;
  std::size_t remaining = 0;
  bool failed = false;       // some message errored or was rejected
  bool unavailable = false;  // some message was not stored
  std::string reason;
};

FileSource::FileSource(FileSourceSettings settings, ConnectorContext& context)
    : settings_(std::move(settings)), context_(context), window_(std::make_shared<Window>()) {
  window_->limit = std::max<std::size_t>(settings_.max_in_flight, 1);
}

FileSource::~FileSource() { stop(); }

bool FileSource::prepare_directory(std::string& error) {
  std::error_code ec;
  if (fs::is_directory(settings_.directory, ec)) return true;
  if (fs::exists(settings_.directory, ec)) {
    error = settings_.directory.string() + " is not a directory";
    return false;
  }
  if (!settings_.create_directories) {
    error = "directory " + settings_.directory.string() + " does not exist";
    return false;
  }
  fs::create_directories(settings_.directory, ec);
  if (ec) {
    error = "cannot create " + settings_.directory.string() + ": " + ec.message();
    return false;
  }
  return true;
}

bool FileSource::start(SourceHost& host, std::string& error) {
  if (thread_.joinable()) {
    error = "file source already started";
    return false;
  }
  if (!prepare_directory(error)) return false;
  stopping_ = false;
  thread_ = std::thread(&FileSource::run, this, &host);
  return true;
}

void FileSource::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FileSource::run(SourceHost* host) {
  while (!stopping_) {
    bool busy = false;
    try {
      PollSummary summary = poll_once(*host);
      // A scan that did work may have taken a while: new files are likely, so
      // look again at once instead of sleeping (keeps a busy folder flowing).
      busy = summary.processed + summary.errored > 0 && !summary.halted;
    } catch (const std::exception& e) {
      context_.log(LogLevel::error, std::string("file source scan failed: ") + e.what());
    }
    if (busy) continue;
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, settings_.poll_interval, [&] { return stopping_.load(); });
  }
}

PollSummary FileSource::poll_once(SourceHost& host) {
  PollSummary summary;
  halted_ = false;

  ListingOptions listing_options;
  listing_options.glob = settings_.glob;
  listing_options.recursive = settings_.recursive;
  for (const fs::path& dir : {settings_.processed_directory, settings_.error_directory}) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) listing_options.skip_directories.emplace_back(st.st_dev, st.st_ino);
  }
  Listing listing = list_directory(settings_.directory.string(), listing_options);
  if (!listing.error.empty()) {
    // Logged once per distinct problem, not on every scan.
    if (listing.error != last_listing_error_) context_.log(LogLevel::error, listing.error);
    last_listing_error_ = listing.error;
    return summary;
  }
  last_listing_error_.clear();
  for (const std::string& warning : listing.warnings) context_.log(LogLevel::warn, warning);

  std::vector<ListedFile>& files = listing.files;
  summary.listed = files.size();
  if (!stuck_.empty()) {
    std::unordered_set<std::string> present;
    for (const ListedFile& f : files) present.insert(f.path);
    std::erase_if(stuck_, [&](const auto& entry) { return !present.count(entry.first); });
  }
  if (settings_.sort == SortOrder::name) {
    std::sort(files.begin(), files.end(), [](const ListedFile& a, const ListedFile& b) { return a.relative < b.relative; });
  } else {
    std::sort(files.begin(), files.end(), [](const ListedFile& a, const ListedFile& b) {
      return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.relative < b.relative;
    });
  }

  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::int64_t cutoff = std::chrono::duration_cast<std::chrono::nanoseconds>(now - settings_.min_age).count();

  std::deque<std::shared_ptr<Batch>> open;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (stopping_ || halted_) {
      summary.left += files.size() - i;
      break;
    }
    ListedFile& file = files[i];
    auto stuck = stuck_.find(file.path);
    if (stuck != stuck_.end() && stuck->second == std::pair(file.size, file.mtime_ns)) {
      ++summary.left;
      continue;
    }
    if (file.mtime_ns > cutoff) {
      ++summary.too_young;
      continue;
    }
    // With a full window, wait for an answer and act on it before reading the
    // next file: an `unavailable` answer must stop the scan here.
    wait_until_room();
    settle(open, summary, false);
    if (halted_) {
      summary.left += files.size() - i;
      break;
    }
    submit_file(host, std::move(file), summary, open);
  }
  settle(open, summary, true);
  return summary;
}

void FileSource::submit_file(SourceHost& host, ListedFile file, PollSummary& summary,
                             std::deque<std::shared_ptr<Batch>>& open) {
  if (file.size > settings_.max_file_size) {
    context_.metrics().add_error(ConnectorError::rejected);
    move_to_error(file, "larger than max_file_size (" + std::to_string(file.size) + " > " +
                            std::to_string(settings_.max_file_size) + " bytes)", summary);
    return;
  }
  ReadResult read = read_file(file.path, file.size, settings_.max_file_size);
  if (read.status == ReadStatus::missing) return;  // taken by someone else since the scan
  if (read.status != ReadStatus::ok) {
    context_.metrics().add_error(ConnectorError::io);
    move_to_error(file, read.error, summary);
    return;
  }
  std::uint64_t size = read.content.size();
  context_.metrics().add_bytes_in(size);
  SplitResult split = split_messages(std::move(read.content), settings_.split, settings_.delimiter);
  if (!split.error.empty()) {
    context_.metrics().add_error(ConnectorError::protocol);
    move_to_error(file, split.error, summary);
    return;
  }
  if (split.messages.empty()) {
    finish(file, false, false, {}, summary);  // empty or blank: nothing to store
    return;
  }

  auto batch = std::make_shared<Batch>();
  batch->remaining = split.messages.size();
  std::string size_text = std::to_string(size);
  const bool numbered = settings_.split != SplitMode::none;
  std::size_t part = 0;
  for (std::string& content : split.messages) {
    Message message;
    message.content = std::move(content);
    message.attributes.reserve(numbered ? 4 : 3);
    message.attributes.emplace_back("filename", file.name);
    message.attributes.emplace_back("path", file.path);
    message.attributes.emplace_back("size", size_text);
    if (numbered) message.attributes.emplace_back("part", std::to_string(++part));

    wait_for_room();
    auto window = window_;
    auto done = [window, batch](Disposition d) {
      std::lock_guard lock(window->mutex);
      switch (d.status) {
        case Disposition::Status::accepted:
        case Disposition::Status::filtered: break;
        case Disposition::Status::errored:
        case Disposition::Status::rejected:
          if (!batch->failed && !batch->unavailable) batch->reason = d.error;
          batch->failed = true;
          break;
        case Disposition::Status::unavailable:
          if (!batch->unavailable) batch->reason = d.error.empty() ? "channel unavailable" : d.error;
          batch->unavailable = true;
          break;
      }
      --batch->remaining;
      --window->outstanding;
      window->changed.notify_all();  // under the lock: the waiter may end the scan right after
    };
    try {
      host.submit(std::move(message), done);
    } catch (const std::exception& e) {
      done(Disposition{Disposition::Status::unavailable, 0, {}, std::string("submit failed: ") + e.what()});
    } catch (...) {
      done(Disposition{Disposition::Status::unavailable, 0, {}, "submit failed"});
    }
    ++summary.messages;
    context_.metrics().add_request();
  }
  batch->file = std::move(file);  // before `open` is read by settle (same thread)
  open.push_back(std::move(batch));
}

void FileSource::wait_until_room() {
  std::unique_lock lock(window_->mutex);
  window_->changed.wait(lock, [&] { return window_->outstanding < window_->limit; });
}

void FileSource::wait_for_room() {
  std::unique_lock lock(window_->mutex);
  window_->changed.wait(lock, [&] { return window_->outstanding < window_->limit; });
  ++window_->outstanding;
}

void FileSource::settle(std::deque<std::shared_ptr<Batch>>& open, PollSummary& summary, bool wait_all) {
  struct Settled {
    std::shared_ptr<Batch> batch;
    bool failed, unavailable;
    std::string reason;
  };
  std::vector<Settled> settled;
  {
    std::unique_lock lock(window_->mutex);
    if (wait_all) window_->changed.wait(lock, [&] { return window_->outstanding == 0; });
    for (auto it = open.begin(); it != open.end();) {
      Batch& b = **it;
      if (b.remaining == 0) {
        settled.push_back({*it, b.failed, b.unavailable, b.reason});
        it = open.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Settled& s : settled) finish(s.batch->file, s.failed, s.unavailable, s.reason, summary);
}

FileSource::Outcome FileSource::finish(const ListedFile& file, bool failed, bool unavailable, const std::string& reason,
                                       PollSummary& summary) {
  if (unavailable) {
    // Not stored: the file stays where it is and is read again on the next scan.
    // Later files wait too, so a store outage does not reorder a folder.
    halted_ = true;
    summary.halted = true;
    ++summary.left;
    context_.log(LogLevel::warn, "left " + file.path + " in place to retry: " + reason);
    return Outcome::left;
  }
  if (failed) {
    move_to_error(file, reason, summary);
    return Outcome::errored;
  }
  std::string error;
  if (settings_.after == AfterAction::remove) {
    if (::unlink(file.path.c_str()) != 0 && errno != ENOENT) error = "cannot delete " + file.path + ": " + errno_text(errno);
  } else {
    relocate_file(file.path, settings_.processed_directory, file.relative, error);
  }
  if (!error.empty()) {
    context_.log(LogLevel::error, error + " (its messages are stored; the file is skipped until it changes)");
    remember_stuck(file);
    ++summary.left;
    return Outcome::left;
  }
  ++summary.processed;
  return Outcome::processed;
}

void FileSource::move_to_error(const ListedFile& file, const std::string& reason, PollSummary& summary) {
  std::string error;
  auto moved = relocate_file(file.path, settings_.error_directory, file.relative, error);
  if (!moved) {
    context_.log(LogLevel::error, "file " + file.path + " failed (" + reason + ") and " + error +
                                      "; the file is skipped until it changes");
    remember_stuck(file);
    ++summary.left;
    return;
  }
  context_.log(LogLevel::warn, "moved " + file.path + " to " + moved->string() + ": " + reason);
  ++summary.errored;
}

void FileSource::remember_stuck(const ListedFile& file) { stuck_[file.path] = {file.size, file.mtime_ns}; }

}  // namespace artery::file_connector
