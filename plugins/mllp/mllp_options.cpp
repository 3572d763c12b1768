#include "mllp_options.hpp"

#include <charconv>
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
    {"tls", "map", nullptr, false, "TLS settings"},
    {"tls.enabled", "bool", "false", false, "Accept TLS connections only"},
    {"tls.cert", "file", "", false, "PEM certificate (chain) file of this listener"},
    {"tls.key", "file", "", false, "PEM private key file of this listener"},
    {"tls.ca", "file", "", false, "PEM CA bundle that client certificates must chain to"},
    {"tls.verify_client", "bool", "false", false, "Require a client certificate signed by tls.ca"},
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
    {"tls", "map", nullptr, false, "TLS settings"},
    {"tls.enabled", "bool", "false", false, "Connect with TLS"},
    {"tls.ca", "file", "", false, "PEM CA bundle to verify the server (default: system store)"},
    {"tls.cert", "file", "", false, "PEM client certificate (chain) file, when the server asks for one"},
    {"tls.key", "file", "", false, "PEM private key file of the client certificate"},
    {"tls.verify_server", "bool", "true", false, "Verify the server certificate and host name"},
    {"tls.server_name", "string", "", false, "Name for SNI and the certificate check (default: the remote host)"},
};
const std::size_t kDestinationOptionCount = std::size(kDestinationOptions);

namespace {

// Reads one option, reporting problems with the key's YAML location.
class OptionReader {
 public:
  OptionReader(const ConnectorOptions& options, std::string& error) : options_(options), error_(error) {}

  bool ok() const { return error_.empty(); }

  std::string text(const std::string& key, const std::string& fallback = "") const {
    auto value = options_.tree.get_optional<std::string>(key);
    return value ? *value : fallback;
  }
  bool present(const std::string& key) const { return options_.tree.get_child_optional(key).has_value(); }

  bool flag(const std::string& key, bool fallback) {
    if (!present(key)) return fallback;
    std::string v = text(key);
    if (v == "true" || v == "True" || v == "TRUE" || v == "1" || v == "yes") return true;
    if (v == "false" || v == "False" || v == "FALSE" || v == "0" || v == "no" || v.empty()) return false;
    fail(key, "expected true or false, got '" + v + "'");
    return fallback;
  }
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback) {
    if (!present(key)) return fallback;
    auto d = parse_duration(text(key));
    if (!d) fail(key, "expected a duration such as 500ms, 5s, 5m, got '" + text(key) + "'");
    return d.value_or(fallback);
  }
  std::size_t size(const std::string& key, std::size_t fallback) {
    if (!present(key)) return fallback;
    auto s = parse_size(text(key));
    if (!s || *s == 0) fail(key, "expected a size such as 64KiB or 1MiB, got '" + text(key) + "'");
    return s && *s ? static_cast<std::size_t>(*s) : fallback;
  }
  int integer(const std::string& key, int fallback, int min, int max) {
    if (!present(key)) return fallback;
    std::string v = text(key);
    int out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || end != v.data() + v.size() || out < min || out > max) {
      fail(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got '" + v +
                    "'");
      return fallback;
    }
    return out;
  }
  std::optional<Address> address(const std::string& key) {
    if (!present(key)) {
      fail(key, "is required (host:port)");
      return std::nullopt;
    }
    auto a = parse_address(text(key));
    if (!a) fail(key, "expected host:port with a port from 1 to 65535, got '" + text(key) + "'");
    return a;
  }
  void fail(const std::string& key, const std::string& why) {
    if (!error_.empty()) return;  // the first problem is the one to fix
    std::string where = options_.location_of(key);
    error_ = (where.empty() ? "" : where + ": ") + key + ": " + why;
  }

 private:
  const ConnectorOptions& options_;
  std::string& error_;
};

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || base_dir.empty()) return path;
  std::filesystem::path p(path);
  return p.is_absolute() ? path : (std::filesystem::path(base_dir) / p).string();
}

void read_tls_files(OptionReader& in, TlsSettings& tls, const std::string& base_dir) {
  tls.enabled = in.flag("tls.enabled", false);
  tls.cert = resolve(in.text("tls.cert"), base_dir);
  tls.key = resolve(in.text("tls.key"), base_dir);
  tls.ca = resolve(in.text("tls.ca"), base_dir);
}

}  // namespace

std::optional<SourceSettings> read_source_settings(const ConnectorOptions& options, const std::string& base_dir,
                                                   std::string& error) {
  error.clear();
  OptionReader in(options, error);
  SourceSettings s;
  if (auto a = in.address("listen")) s.listen = *a;
  s.max_message_size = in.size("max_message_size", s.max_message_size);
  s.idle_timeout = in.duration("idle_timeout", s.idle_timeout);
  s.max_connections = in.integer("max_connections", s.max_connections, 1, 100000);
  s.dedup_window = in.duration("dedup_window", s.dedup_window);
  std::string charset = in.text("charset", "auto");
  if (charset == "auto") {
    s.charset = CharsetMode::automatic;
  } else if (charset == "utf-8" || charset == "UTF-8") {
    s.charset = CharsetMode::utf8;
  } else if (charset == "iso-8859-1" || charset == "ISO-8859-1") {
    s.charset = CharsetMode::latin1;
  } else {
    in.fail("charset", "expected auto, utf-8 or iso-8859-1, got '" + charset + "'");
  }
  s.commit_ack = in.flag("commit_ack", false);
  s.threads = in.integer("threads", s.threads, 1, 64);
  read_tls_files(in, s.tls, base_dir);
  s.tls.verify_peer = in.flag("tls.verify_client", false);
  if (s.tls.enabled && (s.tls.cert.empty() || s.tls.key.empty())) in.fail("tls", "tls.cert and tls.key are required");
  if (s.tls.enabled && s.tls.verify_peer && s.tls.ca.empty())
    in.fail("tls.verify_client", "needs tls.ca to verify client certificates against");
  if (!in.ok()) return std::nullopt;
  return s;
}

std::optional<DestinationSettings> read_destination_settings(const ConnectorOptions& options,
                                                             const std::string& base_dir, std::string& error) {
  error.clear();
  OptionReader in(options, error);
  DestinationSettings s;
  if (auto a = in.address("remote")) s.remote = *a;
  s.connect_timeout = in.duration("connect_timeout", s.connect_timeout);
  s.ack_timeout = in.duration("ack_timeout", s.ack_timeout);
  s.keep_alive = in.flag("keep_alive", true);
  s.retry_ar = in.flag("retry_ar", false);
  s.commit_ack = in.flag("commit_ack", false);
  s.max_message_size = in.size("max_message_size", s.max_message_size);
  read_tls_files(in, s.tls, base_dir);
  s.tls.verify_peer = in.flag("tls.verify_server", true);
  s.tls.server_name = in.text("tls.server_name");
  if (s.tls.enabled && s.tls.cert.empty() != s.tls.key.empty())
    in.fail("tls", "tls.cert and tls.key go together");
  if (s.ack_timeout.count() <= 0) in.fail("ack_timeout", "must be more than 0");
  if (s.connect_timeout.count() <= 0) in.fail("connect_timeout", "must be more than 0");
  if (!in.ok()) return std::nullopt;
  return s;
}

}  // namespace artery::mllp
