#include "net/tcp_connection_core.hpp"

#include <boost/asio/post.hpp>

namespace artery {

bool TcpConnectionHandle::post(std::function<void()> task) const {
  if (!gate_) return false;
  std::lock_guard lock(gate_->mutex);
  if (!gate_->open) return false;
  auto target = target_.lock();
  if (!target) return false;
  auto executor = target->executor();
  boost::asio::post(executor, [target = std::move(target), task = std::move(task)] { task(); });
  return true;
}

namespace detail {

TcpConnectionHandle TcpConnectionCore::handle() {
  TcpConnectionHandle h;
  h.target_ = weak_from_this();
  h.gate_ = shared_->gate;
  return h;
}

bool TcpConnectionCore::evictable(Clock::time_point now) const {
  if (in_flight_.load(std::memory_order_relaxed) > 0) return false;
  // A connection that never sent a byte is what a silent crowd is made of;
  // one that has talked is a sender between messages and keeps its place for
  // a while.
  if (!sent_data_.load(std::memory_order_relaxed)) return true;
  return now - last_activity() >= shared_->settings.evict_idle_after;
}

void TcpConnectionCore::unregister() {
  std::lock_guard lock(shared_->mutex);
  if (evict_marked) {
    evict_marked = false;
    --shared_->evicting;
  }
  shared_->live.erase(shared_from_this());
  if (shared_->live.empty()) shared_->drained.notify_all();
}

void TcpConnectionCore::withdraw_from_eviction() {
  std::lock_guard lock(shared_->mutex);
  if (!evict_marked) return;
  evict_marked = false;
  --shared_->evicting;
}

}  // namespace detail
}  // namespace artery
