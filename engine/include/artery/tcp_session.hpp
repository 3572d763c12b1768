// What a connection-oriented source writes to sit on the TCP listener kit
// (artery/tcp_listener.hpp): a TcpSession per connection, which turns bytes
// into requests (its framing) and writes answers (its acknowledgement). The
// kit owns everything else: accept, TLS, limits, idle timeout, back-pressure
// plumbing, graceful stop and the connection counters.
//
// Threading: every TcpSession call and every TcpConnection call happens on
// the connection's own I/O thread, so a session needs no locks. An answer
// computed on another thread (the engine's disposition callback) comes back
// through a TcpConnectionHandle, which is safe to use from any thread and
// after the connection or the listener is gone.
#pragma once
#include <artery/connector_metrics.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace artery {

// Who is on the other end.
struct TcpPeer {
  std::string remote;             // "ip:port", IPv6 in brackets, v4-mapped shown as v4
  std::uint16_t local_port = 0;   // the listener's port
  std::string tls_subject;        // the client certificate's subject ("/CN=..."), "" without one
};

namespace detail {
class TcpConnectionCore;
struct TcpReplyGate;
}  // namespace detail

// A thread-safe way back to one connection. Cheap to copy; holds the
// connection only weakly.
class TcpConnectionHandle {
 public:
  TcpConnectionHandle() = default;
  // Runs `task` on the connection's thread. Dropped (false) when the
  // connection is gone or its listener has stopped: there is nobody to answer.
  bool post(std::function<void()> task) const;

 private:
  friend class detail::TcpConnectionCore;
  std::weak_ptr<detail::TcpConnectionCore> target_;
  std::shared_ptr<detail::TcpReplyGate> gate_;
};

// The kit's side of one connection, as its session sees it.
class TcpConnection {
 public:
  const TcpPeer& peer() const { return peer_; }
  // Queues bytes for the peer. Writes go out in order; everything written
  // before the current write finishes leaves in one system call.
  virtual void write(std::string_view bytes) = 0;
  // Back-pressure: no reads while paused (the peer's sends then block in TCP).
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  // A request is being answered. While any is in flight the connection is
  // neither idle (timeout, eviction) nor closed by stop(), and it is the
  // count stop() waits for. Every request_started() needs its
  // request_finished(), called once its answer has been written().
  virtual void request_started() = 0;
  virtual void request_finished() = 0;
  virtual int requests_in_flight() const = 0;
  // Close once requests in flight are answered and written; reads stop now.
  // `drain_input`: then signal end of data and discard what the peer is still
  // sending, for a moment, before closing, so unread input does not reset the
  // connection and destroy the last answer on its way (a refused oversize
  // frame the peer is still writing).
  enum class Close { after_answers, drain_input };
  virtual void close(Close how = Close::after_answers) = 0;
  // The listener is stopping (TcpSession::on_stop has been called).
  virtual bool stopping() const = 0;
  virtual TcpConnectionHandle handle() = 0;
  // The connector's counters (the kit counts connections, bytes and the
  // transport's errors; sessions count requests and protocol errors).
  virtual ConnectorMetrics& metrics() = 0;

 protected:
  explicit TcpConnection(TcpPeer peer) : peer_(std::move(peer)) {}
  virtual ~TcpConnection() = default;
  TcpPeer peer_;
};

// One connection's protocol: the part a source writes.
class TcpSession {
 public:
  virtual ~TcpSession() = default;
  // Bytes from the peer (TLS already removed), in whatever pieces TCP gives.
  virtual void on_data(std::string_view bytes) = 0;
  // The peer ended its side (EOF) or the read failed. Requests in flight
  // still get their answer; the connection closes once none remain.
  virtual void on_peer_closed() {}
  // The listener is stopping: take no new requests. The connection closes
  // once the ones in flight are answered.
  virtual void on_stop() {}
};

// Makes the session of a new connection (after the TLS handshake). The
// session may keep the reference: the connection outlives it.
using TcpSessionFactory = std::function<std::unique_ptr<TcpSession>(TcpConnection& connection)>;

}  // namespace artery
