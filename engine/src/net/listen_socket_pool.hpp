// The engine's listening sockets, kept by address across a channel's
// versions (artery::ListenSockets in plugin.hpp says why). One pool per
// process: ListenSocketPool::process(). Connector contexts hand plugins a
// view of it that knows which connector asks (ConnectorListenSockets), so a
// version of the same connector shares the socket and any other connector
// asking for a held address gets "address already in use" as it would from
// bind().
#pragma once
#include <artery/plugin.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace artery::net {

class ListenSocketPool {
 public:
  static ListenSocketPool& process();

  // `owner` names the connector ("channel/source"). Null with `error`, the
  // reason only ("Address already in use"): the caller says where.
  std::unique_ptr<ListenSocket> acquire(const std::string& owner, const std::string& address, std::uint16_t port,
                                        std::string& error);
  std::size_t open_sockets() const;  // for tests
  // Claims on the socket bound to address:port (0: none open).
  int holders(const std::string& address, std::uint16_t port) const;

 private:
  using Key = std::pair<std::string, std::uint16_t>;
  struct Socket {
    std::string owner;
    int fd = -1;
    int holders = 0;
  };
  class Claim;
  void release(const Key& key) noexcept;

  mutable std::mutex mutex_;
  std::map<Key, Socket> sockets_;
};

// ListenSockets for one connector: what ConnectorContext::listen_sockets() returns.
class ConnectorListenSockets final : public ListenSockets {
 public:
  ConnectorListenSockets(std::string owner, ListenSocketPool& pool) : owner_(std::move(owner)), pool_(pool) {}
  std::unique_ptr<ListenSocket> acquire(const std::string& address, std::uint16_t port, std::string& error) override {
    return pool_.acquire(owner_, address, port, error);
  }

 private:
  std::string owner_;
  ListenSocketPool& pool_;
};

}  // namespace artery::net
