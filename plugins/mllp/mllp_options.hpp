// The mllp plugin's YAML options: their declared schema (what the engine
// validates and documents) and the typed settings the connectors run with.
#pragma once
#include <artery/options.hpp>
#include <artery/tls_settings.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace artery::mllp {

extern const OptionSpec kSourceOptions[];
extern const std::size_t kSourceOptionCount;
extern const OptionSpec kDestinationOptions[];
extern const std::size_t kDestinationOptionCount;

enum class CharsetMode { automatic, utf8, latin1 };

// tls.verify_client (source) and tls.verify_server (destination) are verify_peer.
using TlsSettings = artery::TlsSettings;

struct SourceSettings {
  Address listen;
  std::size_t max_message_size = 1024 * 1024;
  std::chrono::milliseconds idle_timeout{5 * 60 * 1000};  // 0: never
  int max_connections = 100;
  std::chrono::milliseconds dedup_window{0};  // 0: off
  CharsetMode charset = CharsetMode::automatic;
  bool commit_ack = false;
  int threads = 1;
  TlsSettings tls;
};

struct DestinationSettings {
  Address remote;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds ack_timeout{30000};
  bool keep_alive = true;
  bool retry_ar = false;
  bool commit_ack = false;
  std::size_t max_message_size = 1024 * 1024;
  TlsSettings tls;
};

// nullopt with `error` ("file:line:col: listen: ...") when a value is invalid.
// Relative file paths resolve against `base_dir`.
std::optional<SourceSettings> read_source_settings(const ConnectorOptions& options, const std::string& base_dir,
                                                   std::string& error);
std::optional<DestinationSettings> read_destination_settings(const ConnectorOptions& options,
                                                             const std::string& base_dir, std::string& error);

}  // namespace artery::mllp
