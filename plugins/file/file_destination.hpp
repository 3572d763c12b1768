// The file destination: writes each message to a file whose folder and name
// come from ${var} templates, optionally atomically and synced.
#pragma once
#include "file_destination_settings.hpp"

#include <artery/plugin.hpp>

#include <string>

namespace artery::file_connector {

class FileDestination final : public Destination {
 public:
  explicit FileDestination(FileDestinationSettings settings);

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

  FileDestinationSettings settings_;
  // The last folder known to exist, so a stream of messages into one folder
  // does not stat it every time. Forgotten after any failure.
  std::string known_directory_;
};

}  // namespace artery::file_connector
