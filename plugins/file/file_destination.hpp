// The file destination: writes each message to a file whose folder and name
// come from ${var} templates, optionally atomically and synced.
#pragma once
#include "file_destination_settings.hpp"

#include <artery/plugin.hpp>

#include <string>

namespace artery::file_connector {

class FileDestination final : public Destination {
 public:
  // `metrics`: where sends are counted (the connector context's); null: not counted.
  explicit FileDestination(FileDestinationSettings settings, ConnectorMetrics* metrics = nullptr);
  ~FileDestination() override;

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
  void close_kept();

  FileDestinationSettings settings_;
  ConnectorMetrics* metrics_;
  // Non-atomic append keeps its file open between messages (open and close
  // cost more than the write). Each write first checks that the name still
  // leads to the open file, so one deleted or rotated away is reopened.
  int kept_fd_ = -1;
  std::string kept_path_;
  unsigned long kept_device_ = 0, kept_inode_ = 0;
  // The last folder known to exist, so a stream of messages into one folder
  // does not stat it every time. Forgotten after any failure.
  std::string known_directory_;
};

}  // namespace artery::file_connector
