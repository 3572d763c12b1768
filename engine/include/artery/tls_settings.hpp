// A connector's TLS options as one plain struct, shared by every listener
// (MLLP, SystemOne, FHIR, the admin HTTP server) and every client (MLLP and
// FHIR destinations, webhooks, email). No OpenSSL or Asio here: the TCP
// listener kit and the HTTP server take these, and artery/tls_context.hpp
// turns them into an OpenSSL context for connectors that dial out.
//
// The YAML keys are declared once, below, as OptionSpec rows that each
// plugin's table includes (ARTERY_LISTENER_TLS_OPTIONS, ARTERY_CLIENT_TLS_OPTIONS),
// and read once, by read_listener_tls / read_client_tls.
#pragma once
#include <filesystem>
#include <string>

namespace artery {

// TLS 1.0 and 1.1 are never offered (RFC 8996); 1.2 is the floor.
enum class TlsVersion { v1_2, v1_3 };

struct TlsSettings {
  bool enabled = false;
  std::string cert;  // PEM certificate (chain) file: the listener's, or a client certificate
  std::string key;   // PEM private key file of `cert`
  // Listener: PEM CA bundle client certificates must chain to. Set alone, a
  // client certificate is asked for and checked when sent (optional); with
  // verify_peer it is required. Client: the CAs the server must chain to
  // (empty: the system store).
  std::string ca;
  // Listener: require a client certificate signed by `ca` (tls.verify_client).
  // Client: verify the server's certificate and host name (tls.verify_server).
  bool verify_peer = false;
  std::string server_name;  // client only: SNI and the name checked (default: the remote host)
  TlsVersion min_version = TlsVersion::v1_2;
  // `{}` so aggregate initialisers written before these fields stay warning-free.
  std::string ciphers{};       // TLS 1.2 cipher list (OpenSSL syntax); "": OpenSSL's default
  std::string ciphersuites{};  // TLS 1.3 suites, colon-separated; "": OpenSSL's default
};

class OptionReader;

// The tls.* options of a listening source, read and checked the same way
// for every plugin: paths resolved against `base_dir`, TLS on needs
// tls.cert and tls.key, tls.verify_client needs tls.ca, cipher lists must
// name something OpenSSL knows. Problems go to `read` (file:line:col).
TlsSettings read_listener_tls(OptionReader& read, const std::filesystem::path& base_dir);
// The same for a connector that dials out (tls.verify_server, tls.server_name;
// a client certificate is optional, but cert and key go together). Keys a
// connector does not declare read as their defaults: tls.enabled false,
// tls.verify_server true.
TlsSettings read_client_tls(OptionReader& read, const std::filesystem::path& base_dir);

// Whether a listener on `host` ("", "*", "0.0.0.0", an address or a name)
// can be reached from other machines: anything but 127.0.0.0/8, ::1 and
// "localhost". A listener for which this holds and that has no TLS sends
// patient data in the clear; `artery run` warns about each one.
bool reachable_from_network(const std::string& host);
// The start-up warning for such a listener, or "" when it is on loopback or
// has TLS: "listening on 0.0.0.0:2575 without TLS: ...; <how_to_fix>".
std::string plaintext_listener_warning(const std::string& host, int port, bool tls, const std::string& how_to_fix);

}  // namespace artery

// The OptionSpec rows (artery/options.hpp) of the TLS block, for plugin
// option tables. Declared once so every connector spells, defaults and
// documents the keys alike.
#define ARTERY_TLS_VERSION_OPTIONS                                                                              \
  {"tls.min_version", "enum:1.2|1.3", "1.2", false,                                                         \
   "Oldest TLS version accepted: 1.2 or 1.3 (TLS 1.0 and 1.1 are never allowed)"},                           \
      {"tls.ciphers", "string", "", false,                                                                    \
       "TLS 1.2 cipher list in OpenSSL syntax, e.g. ECDHE+AESGCM:ECDHE+CHACHA20 (default: OpenSSL's)"},       \
      {"tls.ciphersuites", "string", "", false,                                                               \
       "TLS 1.3 cipher suites, colon-separated, e.g. TLS_AES_256_GCM_SHA384 (default: OpenSSL's)"}

// A listener's block: tls.enabled, cert, key, ca, verify_client and the versions.
#define ARTERY_LISTENER_TLS_OPTIONS                                                                             \
  {"tls", "map", nullptr, false, "TLS settings"},                                                             \
      {"tls.enabled", "bool", "false", false, "Accept TLS connections only"},                                 \
      {"tls.cert", "file", "", false, "PEM certificate (chain) file of this listener"},                       \
      {"tls.key", "file", "", false, "PEM private key file of tls.cert"},                                     \
      {"tls.ca", "file", "", false,                                                                           \
       "PEM CA bundle for client certificates: asked for and checked when sent; required with verify_client"}, \
      {"tls.verify_client", "bool", "false", false, "Require a client certificate signed by tls.ca"},         \
      ARTERY_TLS_VERSION_OPTIONS

// A client's block without tls.enabled (for clients where the URL's scheme
// decides): ca, cert, key, verify_server, server_name and the versions.
#define ARTERY_CLIENT_TLS_OPTIONS                                                                               \
  {"tls", "map", nullptr, false, "TLS settings"},                                                             \
      {"tls.ca", "file", "", false, "PEM CA bundle to verify the server against (default: system store)"},    \
      {"tls.cert", "file", "", false, "PEM client certificate (chain), when the server asks for one"},        \
      {"tls.key", "file", "", false, "PEM private key of tls.cert"},                                          \
      {"tls.verify_server", "bool", "true", false, "Verify the server certificate and host name"},            \
      {"tls.server_name", "string", "", false,                                                                \
       "Name for SNI and the certificate check (default: the host connected to)"},                           \
      ARTERY_TLS_VERSION_OPTIONS
