#include "mllp_options.hpp"

#include <artery/option_reader.hpp>

#include <filesystem>

namespace artery::mllp {

const OptionSpec kSourceOptions[] = {
    {"listen", "address", nullptr, true, "Address and port to listen on, e.g. 0.0.0.0:2575"},
    {"max_message_size", "size", "1MiB", false,
     "Largest frame accepted; a larger one is answered AR 'message too large' and the connection closed"},
    {"idle_timeout", "duration", "5m", false, "Close a connection that sent nothing for this long (0: never)"},
    {"max_connections", "int", "100", false,
     "Connections served at once; when full, the longest-idle silent connection makes room, else the newcomer is closed"},
    {"dedup_window", "duration", "0", false,
     "Re-acknowledge without storing again a message whose MSH-3/MSH-4/MSH-10 was accepted this recently (0: off)"},
    {"charset", "enum:auto|utf-8|iso-8859-1", "auto", false,
     "auto: MSH-18 decides (8859/1 is converted to UTF-8); utf-8: pass through; iso-8859-1: always convert"},
    {"commit_ack", "bool", "false", false,
     "MLLP release 2: answer with a commit acknowledgement byte (ACK 0x06 / NAK 0x15) instead of an HL7 ACK"},
    {"threads", "int", "1", false, "I/O threads serving connections (1 is plenty for one busy connection)"},
    ARTERY_LISTENER_TLS_OPTIONS,
};
const std::size_t kSourceOptionCount = std::size(kSourceOptions);

const OptionSpec kDestinationOptions[] = {
    {"remote", "address", nullptr, true, "host:port of the MLLP listener to send to"},
    {"connect_timeout", "duration", "5s", false, "Give up a connection attempt after this long (send is retried)"},
    {"ack_timeout", "duration", "30s", false, "Wait this long for the ACK; then the send is retried"},
    {"keep_alive", "bool", "true", false, "Keep the connection open between messages"},
    {"retry_ar", "bool", "false", false, "Treat AR/CR as transient (retry) instead of rejected"},
    {"commit_ack", "bool", "false", false, "MLLP release 2: expect a commit acknowledgement byte (ACK/NAK)"},
    {"max_message_size", "size", "1MiB", false, "Largest ACK frame accepted from the peer"},
    ARTERY_CLIENT_TLS_OPTIONS,
    {"tls.enabled", "bool", "false", false, "Connect with TLS"},
};
const std::size_t kDestinationOptionCount = std::size(kDestinationOptions);

namespace {

// A frame limit of 0 would refuse every message.
std::size_t frame_limit(OptionReader& in, const char* key) {
  const auto size = in.size(key);
  if (size == 0 && in.ok()) in.fail(key, "must be more than 0");
  return static_cast<std::size_t>(size);
}

}  // namespace

std::optional<SourceSettings> read_source_settings(const ConnectorOptions& options, const std::string& base_dir,
                                                   std::string& error) {
  error.clear();
  OptionReader in(options, kSourceOptions, kSourceOptionCount);
  SourceSettings s;
  if (auto a = in.address("listen")) s.listen = *a;
  s.max_message_size = frame_limit(in, "max_message_size");
  s.idle_timeout = in.duration("idle_timeout");
  s.max_connections = static_cast<int>(in.integer("max_connections", 1, 100000));
  s.dedup_window = in.duration("dedup_window");
  std::string charset = in.string("charset");
  if (charset == "auto") {
    s.charset = CharsetMode::automatic;
  } else if (charset == "utf-8" || charset == "UTF-8") {
    s.charset = CharsetMode::utf8;
  } else if (charset == "iso-8859-1" || charset == "ISO-8859-1") {
    s.charset = CharsetMode::latin1;
  } else {
    in.fail("charset", "expected auto, utf-8 or iso-8859-1, got '" + charset + "'");
  }
  s.commit_ack = in.boolean("commit_ack");
  s.threads = static_cast<int>(in.integer("threads", 1, 64));
  s.tls = read_listener_tls(in, base_dir);
  if (!in.ok()) {
    error = in.error();
    return std::nullopt;
  }
  return s;
}

std::optional<DestinationSettings> read_destination_settings(const ConnectorOptions& options,
                                                             const std::string& base_dir, std::string& error) {
  error.clear();
  OptionReader in(options, kDestinationOptions, kDestinationOptionCount);
  DestinationSettings s;
  if (auto a = in.address("remote")) s.remote = *a;
  s.connect_timeout = in.duration("connect_timeout");
  s.ack_timeout = in.duration("ack_timeout");
  s.keep_alive = in.boolean("keep_alive");
  s.retry_ar = in.boolean("retry_ar");
  s.commit_ack = in.boolean("commit_ack");
  s.max_message_size = frame_limit(in, "max_message_size");
  s.tls = read_client_tls(in, base_dir);
  if (s.ack_timeout.count() <= 0) in.fail("ack_timeout", "must be more than 0");
  if (s.connect_timeout.count() <= 0) in.fail("connect_timeout", "must be more than 0");
  if (!in.ok()) {
    error = in.error();
    return std::nullopt;
  }
  return s;
}

}  // namespace artery::mllp
