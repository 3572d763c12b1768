// Read-only connections for the store's queries. WAL lets readers run beside
// the writer and beside each other, so each concurrent reader borrows its own
// connection (and its prepared statements) from this pool and returns it.
#pragma once
#include "store/sqlite_connection.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace artery {

class ReadConnectionPool {
 public:
  // Connections kept for reuse; more may be open briefly under a burst.
  static constexpr std::size_t max_idle = 8;

  explicit ReadConnectionPool(std::filesystem::path file) : file_(std::move(file)) {}

  class Lease {
   public:
    Lease(ReadConnectionPool& pool, std::unique_ptr<sqlite::Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ~Lease() { pool_.give_back(std::move(connection_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    sqlite::Connection* operator->() { return connection_.get(); }

   private:
    ReadConnectionPool& pool_;
    std::unique_ptr<sqlite::Connection> connection_;
  };

  // Throws sqlite::Error when a new connection cannot be opened.
  Lease borrow();

 private:
  void give_back(std::unique_ptr<sqlite::Connection> connection);

  std::filesystem::path file_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_;
};

}  // namespace artery
