#include "store/read_connection_pool.hpp"

#include "store/store_schema.hpp"

namespace artery {

ReadConnectionPool::Lease ReadConnectionPool::borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  auto connection = sqlite::Connection::open(file_, /*read_only=*/true);
  prepare_reader_connection(*connection);
  return Lease(*this, std::move(connection));
}

void ReadConnectionPool::give_back(std::unique_ptr<sqlite::Connection> connection) {
  if (!connection) return;
  std::lock_guard lock(mutex_);
  if (idle_.size() < max_idle) idle_.push_back(std::move(connection));
}

}  // namespace artery
