// The TCP listener kit: one listener for every connection-oriented source.
// It binds, accepts, does TLS, enforces max_connections and the idle timeout,
// stops gracefully and counts connections and bytes; the source supplies only
// a TcpSession per connection (artery/tcp_session.hpp). Asio stays inside the
// engine: this header is plain C++.
//
// Under connection pressure idle connections go first: when max_connections
// are open and another arrives, the longest-idle connection with no request
// in flight that either never sent a byte or has been quiet for
// `evict_idle_after` is closed to make room, so a crowd of silent
// connections cannot lock real senders out. Only when none qualifies is the
// newcomer refused.
#pragma once
#include <artery/options.hpp>
#include <artery/plugin.hpp>
#include <artery/tcp_session.hpp>
#include <artery/tls_settings.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace artery {

struct TcpListenerSettings {
  std::string name;  // the connector's type, prefixed to log lines: "mllp"
  Address listen;    // host "" or "*": every IPv4 address
  int max_connections = 100;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};  // 0: never
  // A connection that has sent something is evictable after this long quiet.
  std::chrono::milliseconds evict_idle_after{std::chrono::seconds(5)};
  // How long stop() lets requests in flight finish before closing them.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
  int threads = 1;  // I/O threads; connections are spread over them
  TlsSettings tls;  // tls.verify_peer: require a client certificate
};

class TcpListener {
 public:
  // `context` logs and counts (its metrics()); it must outlive the listener.
  TcpListener(TcpListenerSettings settings, ConnectorContext& context, TcpSessionFactory sessions);
  ~TcpListener();  // stop()
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Loads TLS, binds and starts accepting. False with `error` ("cannot listen
  // on 127.0.0.1:2575: Address already in use", "tls.cert x.pem: ...").
  bool start(std::string& error);
  // Stops accepting, tells every session (on_stop), lets requests in flight
  // get their answer for up to stop_grace, closes the rest, joins the I/O
  // threads. No session call happens after it returns. Idempotent.
  void stop();
  // The port actually bound (listen with port 0 picks a free one: tests).
  std::uint16_t local_port() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace artery
