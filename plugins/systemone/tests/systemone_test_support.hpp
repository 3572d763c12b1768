// Shared by the systemone tests: an in-memory ConnectorContext, a scripted
// SourceHost, option trees, and a blocking POSIX-socket client/server with
// timeouts (so a broken connector fails a test instead of hanging it).
#pragma once
#include <artery/plugin.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/loopback.hpp"

namespace systemone_test {

class MemoryContext final : public artery::ConnectorContext {
 public:
  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(artery::LogLevel, std::string_view text) override {
    std::lock_guard lock(mutex_);
    logs.emplace_back(text);
  }
  std::optional<std::string> state_get(std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto it = state.find(std::string(key));
    if (it == state.end()) return std::nullopt;
    return it->second;
  }
  void state_put(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mutex_);
    state[std::string(key)] = std::string(value);
  }
  std::filesystem::path base_dir() const override { return base; }
  std::filesystem::path data_dir() const override { return "."; }

  std::map<std::string, std::string> state;
  std::vector<std::string> logs;
  std::filesystem::path base = ".";  // the "channel file's folder"

 private:
  std::mutex mutex_;
  std::string channel_ = "test";
  std::string connector_ = "source";
};

// A SourceHost whose "channel script" is a function of the message; the
// disposition comes back from another thread, as it does from the engine.
class ScriptedHost final : public artery::SourceHost {
 public:
  using Script = std::function<artery::Disposition(const artery::Message&)>;
  explicit ScriptedHost(Script script) : script_(std::move(script)) {}
  ~ScriptedHost() override {
    for (auto& t : threads_) t.join();
  }
  void submit(artery::Message message, std::function<void(artery::Disposition)> done) override {
    std::lock_guard lock(mutex_);
    received.push_back(message);
    received_at.push_back(std::chrono::steady_clock::now());
    threads_.emplace_back([this, message = std::move(message), done = std::move(done)] { done(script_(message)); });
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return received.size();
  }
  artery::Message message(std::size_t i) {
    std::lock_guard lock(mutex_);
    return received.at(i);
  }
  std::vector<std::chrono::steady_clock::time_point> times() {
    std::lock_guard lock(mutex_);
    return received_at;
  }

 private:
  Script script_;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::vector<artery::Message> received;
  std::vector<std::chrono::steady_clock::time_point> received_at;
};

inline std::string attribute(const artery::Message& m, const std::string& key) {
  for (const auto& [k, v] : m.attributes)
    if (k == key) return v;
  return {};
}

inline artery::Disposition answer(std::string response, artery::Disposition::Status status = artery::Disposition::Status::accepted,
                                  std::string error = {}) {
  artery::Disposition d;
  d.status = status;
  d.response = std::move(response);
  d.error = std::move(error);
  return d;
}

inline artery::ConnectorOptions options(const std::map<std::string, std::string>& values,
                                        const std::vector<std::string>& api_keys = {}) {
  artery::ConnectorOptions o;
  for (const auto& [k, v] : values) o.tree.put(boost::property_tree::ptree::path_type(k, '.'), v);
  if (!api_keys.empty()) {
    boost::property_tree::ptree list;
    for (const auto& key : api_keys) {
      boost::property_tree::ptree item;
      item.put_value(key);
      list.push_back({"", item});
    }
    o.tree.put_child("api_keys", list);
  }
  return o;
}

using artery::testing::free_port;

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  static Connection to(int port) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port));
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return Connection(fd);
      ::close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("cannot connect to port " + std::to_string(port));
  }
  Connection(Connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)), pending_(std::move(other.pending_)) {}
  Connection& operator=(Connection&&) = delete;
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  void send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      off += static_cast<std::size_t>(n);
    }
  }
  void send_bytewise(const std::string& data) {
    for (char c : data) {
      send(std::string(1, c));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  // One line without its '\n'; "" with `closed` set on EOF/timeout.
  std::string read_line(bool* closed = nullptr, int timeout_ms = 10'000) {
    for (;;) {
      auto nl = pending_.find('\n');
      if (nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      if (!fill(timeout_ms)) {
        if (closed) *closed = true;
        return {};
      }
    }
  }
  // Reads everything until the peer closes (or timeout).
  std::string read_to_end(int timeout_ms = 10'000) {
    while (fill(timeout_ms)) {
    }
    return std::exchange(pending_, {});
  }
  bool peer_closed(int timeout_ms = 10'000) {
    bool closed = false;
    while (pending_.empty() || pending_.find('\n') == std::string::npos) {
      if (!fill(timeout_ms)) {
        closed = true;
        break;
      }
    }
    return closed && pending_.empty();
  }

 private:
  bool fill(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  std::string pending_;
};

// A one-thread TCP server for destination tests: each received request line
// goes to `respond`, which returns the bytes to send back ("" = never answer).
class LineServer {
 public:
  using Respond = std::function<std::string(const std::string& request, int index)>;
  explicit LineServer(Respond respond) : respond_(std::move(respond)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    ::listen(listen_fd_, 8);
    thread_ = std::thread([this] { run(); });
  }
  ~LineServer() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  int port = 0;
  std::atomic<int> requests{0};
  std::atomic<int> connections{0};
  std::mutex mutex;
  std::vector<std::string> received;

 private:
  void run() {
    std::vector<std::pair<int, std::string>> clients;
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (auto& c : clients) fds.push_back({c.first, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd >= 0) {
          clients.emplace_back(fd, std::string{});
          ++connections;
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        auto& [fd, pending] = clients[i - 1];
        char buf[65536];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
          ::close(fd);
          fd = -1;
          continue;
        }
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
          std::string line = pending.substr(0, nl);
          pending.erase(0, nl + 1);
          int index = requests++;
          {
            std::lock_guard lock(mutex);
            received.push_back(line);
          }
          std::string reply = respond_(line, index);
          if (!reply.empty()) ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
      }
      std::erase_if(clients, [](const auto& c) { return c.first < 0; });
    }
    for (auto& c : clients) ::close(c.first);
  }
  Respond respond_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace systemone_test
