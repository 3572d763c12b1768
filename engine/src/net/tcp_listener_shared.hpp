// What a TcpListener and its connections share: settings, the session
// factory, the registry of live connections (for max_connections, eviction
// and stop) and the gate that stops late answers once the I/O threads end.
#pragma once
#include <artery/plugin.hpp>
#include <artery/tcp_listener.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace artery::detail {

class TcpConnectionCore;

// Open while the listener's I/O contexts run. TcpConnectionHandle::post holds
// the mutex while it posts, so closing the gate waits for a post in progress
// and no task is ever queued on a context being destroyed.
struct TcpReplyGate {
  std::mutex mutex;
  bool open = true;
};

struct TcpListenerShared {
  TcpListenerShared(TcpListenerSettings s, ConnectorContext& c, TcpSessionFactory f)
      : settings(std::move(s)), context(c), metrics(c.metrics()), sessions(std::move(f)) {}

  void log(LogLevel level, const std::string& text) { context.log(level, settings.name + ": " + text); }

  const TcpListenerSettings settings;
  ConnectorContext& context;
  ConnectorMetrics& metrics;
  const TcpSessionFactory sessions;
  const std::shared_ptr<TcpReplyGate> gate = std::make_shared<TcpReplyGate>();

  std::mutex mutex;  // guards stopping, live, evicting
  std::condition_variable drained;
  bool stopping = false;
  std::unordered_set<std::shared_ptr<TcpConnectionCore>> live;
  std::size_t evicting = 0;  // live connections told to close to make room, not closed yet
};

}  // namespace artery::detail
