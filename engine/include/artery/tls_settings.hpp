// A connector's TLS options (`tls.enabled`, `tls.cert`, `tls.key`, `tls.ca`,
// `tls.verify_client` / `tls.verify_server`, `tls.server_name`) as one plain
// struct, shared by listeners and clients. No OpenSSL or Asio here: the TCP
// listener kit takes these, and artery/tls_context.hpp turns them into an
// OpenSSL context for connectors that dial out.
#pragma once
#include <filesystem>
#include <string>

namespace artery {

struct TlsSettings {
  bool enabled = false;
  std::string cert;  // PEM certificate (chain) file: the listener's, or a client certificate
  std::string key;   // PEM private key file of `cert`
  std::string ca;    // PEM CA bundle the peer's certificate must chain to
  // Listener: require a client certificate signed by `ca` (tls.verify_client).
  // Client: verify the server's certificate and host name (tls.verify_server).
  bool verify_peer = false;
  std::string server_name;  // client only: SNI and the name checked (default: the remote host)
};

class OptionReader;

// The tls.* options of a listening source, read and checked the same way
// for every plugin: paths resolved against `base_dir`, TLS on needs
// tls.cert and tls.key, tls.verify_client needs tls.ca. Problems go to `read`.
TlsSettings read_listener_tls(OptionReader& read, const std::filesystem::path& base_dir);
// The same for a connector that dials out (tls.verify_server, tls.server_name;
// a client certificate is optional, but cert and key go together).
TlsSettings read_client_tls(OptionReader& read, const std::filesystem::path& base_dir);

}  // namespace artery
