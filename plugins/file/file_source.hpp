// The file source: polls a folder, hands each file's messages to the channel,
// and moves or deletes a file only once every message from it is stored.
#pragma once
#include "directory_listing.hpp"
#include "file_source_settings.hpp"

#include <artery/plugin.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace artery::file_connector {

// What one scan did, for the poll loop (rescan at once after work) and for tests.
struct PollSummary {
  std::size_t listed = 0;      // matching files seen
  std::size_t too_young = 0;   // skipped: modified less than min_age ago
  std::size_t processed = 0;   // every message stored: moved to processed/ or deleted
  std::size_t errored = 0;     // moved to the error folder
  std::size_t left = 0;        // left in place to retry (unavailable, stuck, stopping)
  std::size_t messages = 0;    // messages submitted
  bool halted = false;         // the channel answered unavailable: the scan stopped early
};

class FileSource final : public Source {
 public:
  FileSource(FileSourceSettings settings, ConnectorContext& context);
  ~FileSource() override;

  bool start(SourceHost& host, std::string& error) override;
  void stop() override;

  // One scan of the folder, on the calling thread: returns once every file it
  // submitted has its dispositions and has been moved, deleted or left. The
  // poll thread calls this in a loop; tests call it directly.
  PollSummary poll_once(SourceHost& host);

  const FileSourceSettings& settings() const { return settings_; }

 private:
  struct Batch;
  struct Window;
  enum class Outcome { processed, errored, left };

  bool prepare_directory(std::string& error);
  void run(SourceHost* host);
  // Reads, splits and submits one file's messages (or moves it to the error
  // folder when it cannot be read or split).
  void submit_file(SourceHost& host, ListedFile file, PollSummary& summary, std::deque<std::shared_ptr<Batch>>& open);
  // Finalizes the batches whose dispositions are all in; with `wait_all`, waits for every one.
  void settle(std::deque<std::shared_ptr<Batch>>& open, PollSummary& summary, bool wait_all);
  void wait_until_room();  // until fewer than max_in_flight messages are unanswered
  void wait_for_room();    // the same, then takes a place for one message
  Outcome finish(const ListedFile& file, bool failed, bool unavailable, const std::string& reason,
                 PollSummary& summary);
  void move_to_error(const ListedFile& file, const std::string& reason, PollSummary& summary);
  void remember_stuck(const ListedFile& file);

  FileSourceSettings settings_;
  ConnectorContext& context_;
  std::shared_ptr<Window> window_;

  // Files that were finished but could not be moved or deleted (permissions):
  // remembered by size and mtime so they are not submitted again on every
  // scan; a changed file is picked up again.
  std::map<std::string, std::pair<std::uint64_t, std::int64_t>> stuck_;
  bool halted_ = false;             // of the current scan
  std::string last_listing_error_;  // logged once, not on every scan

  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace artery::file_connector
