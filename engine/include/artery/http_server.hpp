// The engine's one HTTP/1.1 server (Boost.Beast inside, none of it here):
// the admin API serves on it, and plugins open their own listeners with it.
//
// Threads: one I/O thread parses and writes for every connection; handlers
// run on a pool of `handler_threads`, so a handler may block (SQLite reads)
// without stalling other connections. Requests on one connection are
// handled one at a time in arrival order, so pipelined requests are answered
// in order. Nothing here throws: failures are start()'s result.
#pragma once
#include <artery/http_message.hpp>
#include <artery/http_router.hpp>
#include <artery/options.hpp>
#include <artery/tls_settings.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace artery {

enum class LogLevel;
class ListenSockets;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (see HttpServer::port())
  // When enabled: cert and key; `ca` asks for client certificates (required
  // with verify_peer); min_version and ciphers as for every listener.
  TlsSettings tls;
  // Request line plus header fields; more is answered 431 and closed.
  std::size_t max_header_bytes = 16 * 1024;
  // A larger body is answered 413 and closed, as soon as Content-Length says
  // so (without reading it), or once a chunked body passes the limit.
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  // A request's head and body must both have arrived within this time from
  // its first byte (and a TLS handshake within it too), else the connection
  // is closed: a slow client cannot hold a connection open.
  std::chrono::milliseconds read_timeout{30'000};
  // Writing a response (or one streamed chunk) must finish within this.
  std::chrono::milliseconds write_timeout{30'000};
  // A keep-alive connection with no request started for this long is
  // closed (so is a new one that sends nothing). A zero timeout: never.
  std::chrono::milliseconds idle_timeout{60'000};
  // Connections at once. At the limit a new connection first displaces the
  // longest-idle one; when none is idle it is answered 503 and closed.
  std::size_t max_connections = 256;
  std::size_t handler_threads = 4;
  // stop() lets requests being handled finish for up to this long.
  std::chrono::milliseconds stop_timeout{10'000};
  // Bytes a streaming response may have waiting for a slow reader before
  // the stream is ended.
  std::size_t max_stream_buffer = 1024 * 1024;
  // The body of the server's own errors (404, 405, 413, 431, 400, 500, 503).
  // Default: HttpResponse::error, {"error": "..."}. The FHIR listener
  // answers an OperationOutcome instead. Runs on the I/O thread: keep it quick.
  std::function<HttpResponse(int status, std::string_view message)> error_response;
  // Where the server logs (connection problems, handler exceptions).
  // Default: the engine log, component `log_name`. A plugin passes its
  // ConnectorContext::log. Called from the I/O and handler threads.
  std::function<void(LogLevel level, std::string_view text)> log;
  std::string log_name = "http";
  // Where the listening socket comes from. A listener that is a channel's
  // source passes its ConnectorContext::listen_sockets(), so a redeploy's new
  // version takes over the old one's socket and the port never closes.
  // Null: the server binds its own socket (the admin API).
  ListenSockets* listen_sockets = nullptr;
};

// What a server has done since it started, for a connector's metrics and
// /metrics. Each count is read on its own (not one consistent instant).
struct HttpServerCounters {
  std::uint64_t connections_open = 0;
  std::uint64_t connections_total = 0;    // accepted, refused ones included
  std::uint64_t connections_refused = 0;  // 503 at max_connections with none idle
  std::uint64_t requests = 0;             // complete requests read
  std::uint64_t bytes_in = 0;             // request heads and bodies
  std::uint64_t bytes_out = 0;            // everything written
  std::uint64_t timeouts = 0;             // closed by the read or write deadline (idle closes are not errors)
  std::uint64_t bad_requests = 0;         // 400, 413 and 431 answered by the server itself
  std::uint64_t tls_failures = 0;         // failed handshakes, plaintext on a TLS port
  std::uint64_t handler_errors = 0;       // 500 for a handler's exception or a dropped responder
};

class HttpServer {
 public:
  // Only keeps the options; even a failure to set up (no file descriptors
  // left) waits for start() to report it.
  HttpServer(HttpServerOptions options, HttpRouter router) noexcept;
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. False with `error` set (the address is in
  // use, a certificate cannot be read, ...); the server can then be dropped.
  bool start(std::string& error) noexcept;
  // Stops accepting, closes idle connections, lets requests being handled
  // get their answer (with Connection: close) for up to stop_timeout, ends
  // streams, then closes what is left. Returns when no handler is running
  // and no thread of the server is left. Idempotent.
  void stop() noexcept;

  std::uint16_t port() const noexcept;  // bound port, after start()
  std::size_t connection_count() const noexcept;
  HttpServerCounters counters() const noexcept;

  struct Impl;  // defined in the server's .cpp; named here only so its connections can refer to it

 private:
  std::shared_ptr<Impl> impl_;  // null when setting up failed
  std::string setup_error_;
};

// An `http:` / `--http` setting: "off" (also "false", "none", "") serves
// nothing; anything else is an address for parse_address ("127.0.0.1:8080",
// ":8080", "[::1]:8080"). nullopt when it is neither.
struct HttpListenSetting {
  bool enabled = false;
  Address address;
};
std::optional<HttpListenSetting> parse_http_listen(std::string_view text);

}  // namespace artery
