// The file destination: writes each message to a file whose folder and name
// come from ${var} templates, optionally atomically and synced.
#pragma once
#include "file_destination_settings.hpp"

#include <artery/plugin.hpp>

#include <string>
#include <unordered_set>

namespace artery::file_connector {

class FileDestination final : public Destination {
 public:
  // `context` (may be null in tests) is where cleanup is reported and sends counted.
  explicit FileDestination(FileDestinationSettings settings, ConnectorContext* context = nullptr);
  ~FileDestination() override;

  // Removes the temporaries a killed process left in the destination's fixed
  // folder (see temporary_files.hpp). Never fails the start.
  bool start(std::string& error) override;

  // Writes synchronously and calls `done` before returning: sent (response =
  // the path written), rejected (the templates expand to an unsafe or empty
  // name: retrying cannot help) or retry (an I/O error, with its text).
  void send(OutboundMessage message, std::function<void(SendResult)> done) override;

  SendResult write(const OutboundMessage& message);

 private:
  bool ensure_directory(const std::string& directory, std::string& error);
  bool write_in_place(const std::string& path, const OutboundMessage& message, std::string& error);
  bool write_replacing(const std::string& directory, const std::string& path, const OutboundMessage& message,
                       std::string& error);

  bool append_kept_open(const std::string& path, const OutboundMessage& message, std::string& error);
  bool open_for_append(const std::string& path, std::string& error);
  void close_kept();
  void remove_abandoned_in(const std::string& directory);

  FileDestinationSettings settings_;
  ConnectorContext* context_;
  ConnectorMetrics* metrics_;  // the context's; null without one: not counted
  // Non-atomic append keeps its file open between messages (open and close
  // cost more than the write). Each write first checks that the name still
  // leads to the open file, so one deleted or rotated away is reopened.
  int kept_fd_ = -1;
  // The opened file did not end with the separator (a record torn by a crash,
  // or another writer): the next record starts with one, so it stands alone.
  bool kept_needs_separator_ = false;
  // A file was (re)opened since the folder was last fsynced (fsync: true).
  bool kept_entry_unsynced_ = false;
  std::string kept_path_;
  unsigned long kept_device_ = 0, kept_inode_ = 0;
  // The last folder known to exist, so a stream of messages into one folder
  // does not stat it every time. Forgotten after any failure.
  std::string known_directory_;
  // Folders swept for abandoned temporaries in this run (bounded: templated
  // folders can be many).
  std::unordered_set<std::string> swept_directories_;
  static constexpr std::size_t kMaxSweptDirectories = 4096;
};

}  // namespace artery::file_connector
