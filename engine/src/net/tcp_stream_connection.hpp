// One accepted connection of the listener kit over a plain socket or a TLS
// stream: handshake, the read loop feeding its session, coalesced writes,
// the idle timer, and the close rules (after answers, draining, at stop).
// Every member function runs on the connection's executor (one thread).
#pragma once
#include "net/tcp_connection_core.hpp"

#include <artery/tls_context.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <exception>
#include <memory>
#include <string>
#include <type_traits>

namespace artery::detail {

namespace asio = boost::asio;

template <class Stream>
class TcpStreamConnection final : public TcpConnectionCore {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, asio::ip::tcp::socket>;

  TcpStreamConnection(std::shared_ptr<TcpListenerShared> shared, Stream stream, TcpPeer peer)
      : TcpConnectionCore(std::move(shared), std::move(peer)),
        stream_(std::move(stream)),
        idle_timer_(stream_.get_executor()),
        drain_timer_(stream_.get_executor()) {}

  ~TcpStreamConnection() override {
    if (!closed_) shared_->metrics.connection_closed();
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  void start() override {
    touch();
    arm_idle_timer();
    if constexpr (kTls) {
      auto self = shared_this();
      stream_.async_handshake(asio::ssl::stream_base::server, [self](const boost::system::error_code& ec) {
        if (self->closed_) return;
        if (ec) {
          self->shared_->metrics.add_error(ConnectorError::tls);
          self->shared_->log(LogLevel::warn, "TLS handshake with " + self->peer_.remote + " failed: " + ec.message());
          self->close_now();
          return;
        }
        self->peer_.tls_subject = tls_peer_subject(self->stream_.native_handle());
        self->open_session();
      });
    } else {
      open_session();
    }
  }

  void begin_stop() override {
    if (stopping_ || closed_) return;
    stopping_ = true;
    if (session_) guarded([&] { session_->on_stop(); });
    maybe_finish();
  }

  void force_close() override { close_now(); }

  void evict(const std::string& newcomer) override {
    if (closed_) return;
    if (in_flight_ > 0 || writing_) {
      withdraw_from_eviction();
      return;
    }
    shared_->metrics.connection_evicted();
    shared_->log(LogLevel::info, "closing idle connection from " + peer_.remote + " to make room for " + newcomer +
                                     " (max_connections " + std::to_string(shared_->settings.max_connections) +
                                     " reached)");
    close_now();
  }

  // --- TcpConnection, for the session ---

  void write(std::string_view bytes) override {
    if (closed_ || draining_ || bytes.empty()) return;
    out_.append(bytes);
    flush();
  }

  void pause_reading() override { paused_ = true; }

  void resume_reading() override {
    if (!paused_) return;
    paused_ = false;
    read();
  }

  void request_started() override { in_flight_.fetch_add(1, std::memory_order_relaxed); }

  void request_finished() override {
    if (in_flight_.fetch_sub(1, std::memory_order_relaxed) == 1) maybe_finish();
  }

  int requests_in_flight() const override { return in_flight_.load(std::memory_order_relaxed); }

  void close(Close how) override {
    if (closed_) return;
    close_requested_ = true;
    if (how == Close::drain_input) drain_input_ = true;
    maybe_finish();
  }

  bool stopping() const override { return stopping_; }

 private:
  static constexpr std::size_t kReadSize = 64 * 1024;

  std::shared_ptr<TcpStreamConnection> shared_this() {
    return std::static_pointer_cast<TcpStreamConnection>(shared_from_this());
  }

  asio::ip::tcp::socket& socket() {
    if constexpr (kTls) return stream_.next_layer();
    else return stream_;
  }

  // A session that throws loses its connection, never the engine.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      shared_->log(LogLevel::error, "connection " + peer_.remote + " failed: " + e.what());
      close_now();
    } catch (...) {
      shared_->log(LogLevel::error, "connection " + peer_.remote + " failed");
      close_now();
    }
  }

  void open_session() {
    guarded([&] { session_ = shared_->sessions(*this); });
    if (closed_) return;
    if (!session_) {
      close_now();
      return;
    }
    if (stopping_) guarded([&] { session_->on_stop(); });
    read();
    maybe_finish();
  }

  void read() {
    if (reading_ || paused_ || read_closed_ || close_requested_ || closed_ || !session_) return;
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(kReadSize);
    reading_ = true;
    auto self = shared_this();
    stream_.async_read_some(asio::buffer(buffer_.get(), kReadSize),
                            [self](const boost::system::error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      read_closed_ = true;
      if (ec != asio::error::eof && ec != asio::error::operation_aborted && ec != asio::ssl::error::stream_truncated &&
          ec != asio::error::connection_reset) {
        shared_->metrics.add_error(ConnectorError::io);
        shared_->log(LogLevel::debug, "read from " + peer_.remote + ": " + ec.message());
      }
      // A half-closed peer still gets the answers to what it sent.
      guarded([&] { session_->on_peer_closed(); });
      maybe_finish();
      return;
    }
    shared_->metrics.add_bytes_in(n);
    touch();
    sent_data_.store(true, std::memory_order_relaxed);
    guarded([&] { session_->on_data(std::string_view(buffer_.get(), n)); });
    read();
  }

  void flush() {
    if (writing_ || closed_ || out_.empty()) return;
    std::swap(out_, in_flight_bytes_);
    out_.clear();
    writing_ = true;
    auto self = shared_this();
    asio::async_write(stream_, asio::buffer(in_flight_bytes_),
                      [self](const boost::system::error_code& ec, std::size_t n) {
                        self->writing_ = false;
                        self->in_flight_bytes_.clear();
                        if (self->closed_) return;
                        if (ec) {
                          self->shared_->metrics.add_error(ConnectorError::io);
                          self->shared_->log(LogLevel::warn,
                                             "could not answer " + self->peer_.remote + ": " + ec.message());
                          self->close_now();
                          return;
                        }
                        self->shared_->metrics.add_bytes_out(n);
                        self->flush();
                        self->maybe_finish();
                      });
  }

  // Closes when the connection is ending (peer done, session asked, listener
  // stopping) and nothing is owed to the peer any more.
  void maybe_finish() {
    if (closed_ || draining_) return;
    if (!(read_closed_ || close_requested_ || stopping_)) return;
    if (in_flight_ > 0 || writing_ || !out_.empty()) return;
    if (drain_input_ && !read_closed_) drain_then_close();
    else close_now();
  }

  void drain_then_close() {
    draining_ = true;
    boost::system::error_code ignored;
    // Half-closing a TLS stream's socket would cut the TLS session: only plain TCP says "end of data".
    if constexpr (!kTls) socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    auto self = shared_this();
    drain_timer_.expires_after(std::chrono::seconds(2));
    drain_timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->close_now();
    });
    drain();
  }

  void drain() {
    if (closed_) return;
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(kReadSize);
    auto self = shared_this();
    socket().async_read_some(asio::buffer(buffer_.get(), kReadSize),
                             [self](const boost::system::error_code& ec, std::size_t) {
                               if (ec) self->close_now();
                               else self->drain();
                             });
  }

  void arm_idle_timer() {
    const auto idle = shared_->settings.idle_timeout;
    if (idle.count() <= 0 || closed_) return;
    idle_timer_.expires_at(last_activity() + idle);
    auto self = shared_this();
    idle_timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec && !self->closed_) self->on_idle_timer();
    });
  }

  void on_idle_timer() {
    const auto idle = shared_->settings.idle_timeout;
    const auto now = Clock::now();
    if (now < last_activity() + idle) {
      arm_idle_timer();
      return;
    }
    if (in_flight_ > 0 || writing_ || draining_) {
      touch();  // waiting for the channel is not idleness
      arm_idle_timer();
      return;
    }
    shared_->metrics.add_error(ConnectorError::timeout);
    shared_->log(LogLevel::info, "closing idle connection from " + peer_.remote + " (nothing for " +
                                     std::to_string(idle.count()) + " ms)");
    close_now();
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    idle_timer_.cancel();
    drain_timer_.cancel();
    shared_->metrics.connection_closed();
    unregister();
  }

  Stream stream_;
  asio::steady_timer idle_timer_;
  asio::steady_timer drain_timer_;  // bounds drain_then_close
  std::unique_ptr<TcpSession> session_;
  std::unique_ptr<char[]> buffer_;  // uninitialised: its pages cost memory only once data arrives
  std::string out_, in_flight_bytes_;
  bool reading_ = false;
  bool writing_ = false;
  bool paused_ = false;
  bool read_closed_ = false;
  bool close_requested_ = false;
  bool drain_input_ = false;
  bool stopping_ = false;
  bool draining_ = false;
  bool closed_ = false;
};

}  // namespace artery::detail
