// The systemone connectors' YAML options (declared once, for the engine's
// schema check, the docs and this plugin's own reading) and the typed
// settings read from them.
#pragma once
#include "response_envelope.hpp"

#include <artery/options.hpp>
#include <artery/tls_settings.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace artery::systemone {

std::span<const OptionSpec> source_option_specs();
std::span<const OptionSpec> destination_option_specs();

struct SourceSettings {
  Address listen;
  bool close_framing = false;  // framing: close — one request per connection, EOF also ends it
  std::size_t max_request_size = 1024 * 1024;
  std::chrono::milliseconds idle_timeout{300'000};
  int max_connections = 64;
  std::vector<std::string> api_keys;  // empty: no check
  ErrorStyle error_style = ErrorStyle::tpp;
  bool auto_approve_devices = true;  // device_approval: auto
  TlsSettings tls;                   // tls.verify_client is tls.verify_peer

  // Throws std::invalid_argument naming the key and its location. Relative
  // tls.* file paths resolve against `base_dir` (the channel file's folder).
  static SourceSettings read(const ConnectorOptions& options, const std::filesystem::path& base_dir = {});
};

struct DestinationSettings {
  Address remote;
  std::string api_key;
  std::string device_version;
  std::string function;
  std::string function_version;
  std::string output_scheme_drugs;
  std::string output_scheme_codes;
  std::chrono::milliseconds response_timeout{60'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds rate_limit{1'000};
  std::chrono::milliseconds record_rate_limit{30'000};
  std::size_t max_response_size = 32u * 1024 * 1024;
  // tls.verify_server is tls.verify_peer (on unless turned off); a client
  // certificate (tls.cert + tls.key) is sent when the server asks for one.
  TlsSettings tls;

  // Throws std::invalid_argument naming the key and its location. Relative
  // tls.* file paths resolve against `base_dir` (the channel file's folder).
  static DestinationSettings read(const ConnectorOptions& options, const std::filesystem::path& base_dir = {});
};

}  // namespace artery::systemone
