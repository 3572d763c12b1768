#include "net/listen_socket_pool.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace artery::net {
namespace {

// socket, SO_REUSEADDR (a TIME_WAIT left by the last run must not block us),
// bind, listen. -1 with `error`.
int open_listening(const std::string& address, std::uint16_t port, std::uint16_t& bound, std::string& error) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof *v6;
  } else {
    error = "'" + address + "' is not a numeric address";
    return -1;
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  length = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  bound = ntohs(family == AF_INET ? v4->sin_port : v6->sin6_port);
  return fd;
}

}  // namespace

class ListenSocketPool::Claim final : public ListenSocket {
 public:
  Claim(ListenSocketPool& pool, Key key, int fd) : pool_(pool), key_(std::move(key)), fd_(fd) {}
  ~Claim() override { pool_.release(key_); }
  int fd() const noexcept override { return fd_; }
  std::uint16_t port() const noexcept override { return key_.second; }

 private:
  ListenSocketPool& pool_;
  Key key_;
  int fd_;
};

ListenSocketPool& ListenSocketPool::process() {
  static ListenSocketPool pool;  // the engine binary's copy; plugins reach it through their context
  return pool;
}

std::unique_ptr<ListenSocket> ListenSocketPool::acquire(const std::string& owner, const std::string& address,
                                                        std::uint16_t port, std::string& error) {
  std::lock_guard lock(mutex_);
  if (port != 0) {
    auto it = sockets_.find({address, port});
    if (it != sockets_.end()) {
      if (it->second.owner != owner) {
        error = "Address already in use (by " + it->second.owner + ")";
        return nullptr;
      }
      ++it->second.holders;
      return std::make_unique<Claim>(*this, it->first, it->second.fd);
    }
  }
  std::uint16_t bound = 0;
  const int fd = open_listening(address, port, bound, error);
  if (fd < 0) return nullptr;
  Key key{address, bound};
  sockets_[key] = Socket{owner, fd, 1};
  return std::make_unique<Claim>(*this, std::move(key), fd);
}

void ListenSocketPool::release(const Key& key) noexcept {
  std::lock_guard lock(mutex_);
  auto it = sockets_.find(key);
  if (it == sockets_.end() || --it->second.holders > 0) return;
  ::close(it->second.fd);
  sockets_.erase(it);
}

std::size_t ListenSocketPool::open_sockets() const {
  std::lock_guard lock(mutex_);
  return sockets_.size();
}

int ListenSocketPool::holders(const std::string& address, std::uint16_t port) const {
  std::lock_guard lock(mutex_);
  auto it = sockets_.find({address, port});
  return it == sockets_.end() ? 0 : it->second.holders;
}

}  // namespace artery::net
