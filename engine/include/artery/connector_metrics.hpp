// The counters every connector reports, named once here so the engine, the
// admin API, /metrics and the console all say the same words. A connector
// gets its ConnectorMetrics from ConnectorContext::metrics(); the TCP listener
// kit keeps the connection counters itself. Updating one is a relaxed atomic
// add: no lock, no allocation, safe from any thread on the hot path.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace artery {

// Why something failed, in a small fixed set so counters stay comparable
// across connectors (a plugin's own detail goes to its log line).
enum class ConnectorError : std::uint8_t {
  protocol,  // the peer broke the wire protocol: bad framing, oversize, unreadable reply
  tls,       // handshake or certificate failure
  timeout,   // idle timeout, no answer in time, connect timeout
  io,        // socket or file read/write failure, connection lost
  rejected,  // the peer's request was refused (bad key, invalid document) or the peer refused ours
};
inline constexpr std::size_t kConnectorErrorKinds = 5;

constexpr std::string_view to_string(ConnectorError kind) {
  switch (kind) {
    case ConnectorError::protocol: return "protocol";
    case ConnectorError::tls: return "tls";
    case ConnectorError::timeout: return "timeout";
    case ConnectorError::io: return "io";
    case ConnectorError::rejected: return "rejected";
  }
  return "io";
}

// The metric names, as the engine publishes them (per channel and connector).
namespace connector_metric {
inline constexpr std::string_view bytes_in = "bytes_in";
inline constexpr std::string_view bytes_out = "bytes_out";
inline constexpr std::string_view connections_open = "connections_open";      // a gauge
inline constexpr std::string_view connections_total = "connections_total";    // accepted, or connected
inline constexpr std::string_view connections_refused = "connections_refused";  // turned away, or connect failed
inline constexpr std::string_view connections_evicted = "connections_evicted";  // idle, closed to make room
inline constexpr std::string_view requests = "requests";  // messages/requests received or sent
inline constexpr std::string_view errors = "errors";      // labelled by ConnectorError kind
}  // namespace connector_metric

// A plain copy of the counters at one moment, for any thread to keep.
struct ConnectorMetricsSnapshot {
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::int64_t connections_open = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t connections_evicted = 0;
  std::uint64_t requests = 0;
  std::array<std::uint64_t, kConnectorErrorKinds> errors{};

  std::uint64_t errors_of(ConnectorError kind) const { return errors[static_cast<std::size_t>(kind)]; }
  std::uint64_t errors_total() const {
    std::uint64_t sum = 0;
    for (auto e : errors) sum += e;
    return sum;
  }
};

class ConnectorMetrics {
 public:
  void add_bytes_in(std::uint64_t n) noexcept { bytes_in_.fetch_add(n, std::memory_order_relaxed); }
  void add_bytes_out(std::uint64_t n) noexcept { bytes_out_.fetch_add(n, std::memory_order_relaxed); }
  void add_request() noexcept { requests_.fetch_add(1, std::memory_order_relaxed); }
  void add_error(ConnectorError kind) noexcept {
    errors_[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
  }
  // A connection opened (accepted, or connected by a destination).
  void connection_opened() noexcept {
    connections_total_.fetch_add(1, std::memory_order_relaxed);
    connections_open_.fetch_add(1, std::memory_order_relaxed);
  }
  void connection_closed() noexcept { connections_open_.fetch_sub(1, std::memory_order_relaxed); }
  void connection_refused() noexcept { connections_refused_.fetch_add(1, std::memory_order_relaxed); }
  void connection_evicted() noexcept { connections_evicted_.fetch_add(1, std::memory_order_relaxed); }

  // Each counter is read on its own (relaxed): a snapshot taken during
  // traffic may be a message apart between counters, never torn or locked.
  ConnectorMetricsSnapshot snapshot() const noexcept {
    ConnectorMetricsSnapshot s;
    s.bytes_in = bytes_in_.load(std::memory_order_relaxed);
    s.bytes_out = bytes_out_.load(std::memory_order_relaxed);
    s.connections_open = connections_open_.load(std::memory_order_relaxed);
    s.connections_total = connections_total_.load(std::memory_order_relaxed);
    s.connections_refused = connections_refused_.load(std::memory_order_relaxed);
    s.connections_evicted = connections_evicted_.load(std::memory_order_relaxed);
    s.requests = requests_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kConnectorErrorKinds; ++i) s.errors[i] = errors_[i].load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::atomic<std::uint64_t> bytes_in_{0};
  std::atomic<std::uint64_t> bytes_out_{0};
  std::atomic<std::int64_t> connections_open_{0};
  std::atomic<std::uint64_t> connections_total_{0};
  std::atomic<std::uint64_t> connections_refused_{0};
  std::atomic<std::uint64_t> connections_evicted_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::array<std::atomic<std::uint64_t>, kConnectorErrorKinds> errors_{};
};

}  // namespace artery
