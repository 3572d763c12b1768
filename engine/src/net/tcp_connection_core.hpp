// The part of a kit connection that does not depend on the stream type
// (plain TCP or TLS): what the acceptor reads to choose whom to evict, and
// the hooks the listener drives. TcpStreamConnection<Stream> does the I/O.
#pragma once
#include "net/tcp_listener_shared.hpp"

#include <artery/tcp_session.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace artery::detail {

class TcpConnectionCore : public TcpConnection, public std::enable_shared_from_this<TcpConnectionCore> {
 public:
  using Clock = std::chrono::steady_clock;

  TcpConnectionCore(std::shared_ptr<TcpListenerShared> shared, TcpPeer peer)
      : TcpConnection(std::move(peer)), shared_(std::move(shared)) {}

  virtual boost::asio::any_io_executor executor() = 0;
  // Each runs on the connection's executor (the listener posts them).
  virtual void start() = 0;
  virtual void begin_stop() = 0;
  virtual void force_close() = 0;
  // Closes the connection if it is still idle; else withdraws from eviction.
  virtual void evict(const std::string& newcomer) = 0;

  TcpConnectionHandle handle() override;
  ConnectorMetrics& metrics() override { return shared_->metrics; }

  // Read by the acceptor thread while it chooses a connection to evict;
  // written by the connection's own thread (relaxed: a hint, re-checked there).
  bool evictable(Clock::time_point now) const;
  Clock::time_point last_activity() const { return Clock::time_point(Clock::duration(last_activity_.load(std::memory_order_relaxed))); }
  bool evict_marked = false;  // guarded by shared_->mutex

 protected:
  void touch() { last_activity_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed); }
  // Leaves the registry (once, when the connection closes).
  void unregister();
  // A refused eviction: the connection counts towards max_connections again.
  void withdraw_from_eviction();

  std::shared_ptr<TcpListenerShared> shared_;
  std::atomic<Clock::rep> last_activity_{Clock::now().time_since_epoch().count()};
  std::atomic<int> in_flight_{0};
  std::atomic<bool> sent_data_{false};  // any application byte from the peer yet
};

}  // namespace artery::detail
