// A blocking TLS client for tests of TLS listeners: handshake against the
// test CA (optionally with a client certificate), write bytes, read lines or
// bytes. Every read gives up after 10 s so a broken listener fails a test
// instead of hanging it (a safety net, not a timing assertion).
#pragma once
#include <memory>
#include <string>

namespace artery::testing {

class TlsClient {
 public:
  struct Options {
    std::string ca;    // verify the server against this CA ("" : no verification)
    std::string cert;  // client certificate and key, when the server asks for one
    std::string key;
    std::string max_version{};  // "1.2": a client that cannot speak TLS 1.3 ("" : any)
  };
  // Connects to 127.0.0.1:port and handshakes; check handshake_error().
  TlsClient(int port, const Options& options);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // "" when the handshake succeeded.
  const std::string& handshake_error() const;
  void write(const std::string& bytes);
  // One line without its '\n'; "" when the peer closed or nothing came.
  std::string read_line();
  // Reads until `terminator` has arrived; everything up to and including it.
  std::string read_until(const std::string& terminator);
  // True when the server closed the connection (after any pending bytes).
  bool closed_by_peer();
  // Everything until the server closes the connection (or 10 s pass).
  std::string read_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One exchange the way each TLS listener test makes it: connect, handshake,
// write `request`, read until `terminator` ("" : until the server closes).
// Returns what was read; "" when the handshake failed, or the server refused
// the client after it (TLS 1.3 reports a refused client certificate only on
// the first read). `error` gets the handshake error, if any.
std::string tls_exchange(int port, const TlsClient::Options& options, const std::string& request,
                         const std::string& terminator, std::string* error = nullptr);

}  // namespace artery::testing
