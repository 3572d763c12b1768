// Test doubles and a plain blocking MLLP client for the mllp plugin's tests.
#pragma once
#include <artery/hl7.hpp>
#include <artery/plugin.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mllp_source.hpp"

namespace mllp_test {

using namespace std::chrono_literals;

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string framed(std::string_view content) {
  std::string out;
  out.push_back(0x0B);
  out.append(content);
  out.push_back(0x1C);
  out.push_back(0x0D);
  return out;
}

class TestContext : public artery::ConnectorContext {
 public:
  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(artery::LogLevel level, std::string_view text) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(text);
  }
  std::optional<std::string> state_get(std::string_view) override { return std::nullopt; }
  void state_put(std::string_view, std::string_view) override {}
  std::filesystem::path base_dir() const override { return std::filesystem::temp_directory_path(); }
  std::filesystem::path data_dir() const override { return std::filesystem::temp_directory_path(); }
  bool logged(std::string_view needle) {
    std::lock_guard lock(mutex_);
    for (auto& l : lines_)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::string channel_ = "test-channel", connector_ = "source";
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// The engine's side of a source: answers each submitted message from a policy,
// on its own thread (as the store writer would), optionally after a delay.
class TestHost : public artery::SourceHost {
 public:
  using Policy = std::function<artery::Disposition(const artery::Message&)>;
  explicit TestHost(Policy policy = {}) : policy_(std::move(policy)), worker_([this] { run(); }) {}
  ~TestHost() override {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }
  void set_policy(Policy p) {
    std::lock_guard lock(mutex_);
    policy_ = std::move(p);
  }
  void set_delay(std::chrono::milliseconds d) { delay_ = d; }

  void submit(artery::Message message, std::function<void(artery::Disposition)> done) override {
    std::lock_guard lock(mutex_);
    received_.push_back(message);
    queue_.emplace_back(std::move(message), std::move(done));
    wake_.notify_all();
  }
  std::vector<artery::Message> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [message, done] = std::move(queue_.front());
      queue_.pop_front();
      Policy policy = policy_;
      lock.unlock();
      if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
      artery::Disposition d;
      if (policy) d = policy(message);
      else if (!artery::hl7::Message::parse(message.content)) {
        d.status = artery::Disposition::Status::rejected;
        d.error = "cannot parse HL7";
      }
      done(std::move(d));
      lock.lock();
    }
  }

  Policy policy_;
  std::chrono::milliseconds delay_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<artery::Message, std::function<void(artery::Disposition)>>> queue_;
  std::vector<artery::Message> received_;
  bool done_ = false;
  std::thread worker_;
};

// A blocking TCP client. Receives time out after 10 s so a bug fails a test
// instead of hanging it (a safety net, not a timing assertion).
class Client {
 public:
  explicit Client(std::uint16_t port, int receive_timeout_ms = 10000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error("connect failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{receive_timeout_ms / 1000, (receive_timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void send_frame(std::string_view content) { send_raw(framed(content)); }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    ::close(fd_);
    fd_ = -1;
  }

  // The next frame's content; throws on EOF/timeout.
  std::string read_frame() {
    for (;;) {
      auto start = buffer_.find('\x0b');
      if (start != std::string::npos) {
        auto end = buffer_.find('\x1c', start);
        if (end != std::string::npos && end + 1 < buffer_.size()) {
          std::string content = buffer_.substr(start + 1, end - start - 1);
          buffer_.erase(0, end + 2);
          return content;
        }
      }
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) throw std::runtime_error(n == 0 ? "connection closed" : "receive failed or timed out");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // True when the server closed the connection (after any pending bytes).
  bool closed_by_peer() {
    char c;
    for (;;) {
      ssize_t n = ::recv(fd_, &c, 1, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      buffer_.push_back(c);
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buffer_;
};

struct Ack {
  std::string code, control_id, text, raw;
};
inline Ack parse_ack(const std::string& raw) {
  auto m = artery::hl7::Message::parse(raw);
  if (!m) return {"<unparseable>", "", "", raw};
  return {m->get("MSA-1"), m->get("MSA-2"), m->get("MSA-3"), raw};
}

inline std::string hl7_message(const std::string& control_id, const std::string& extra_msh = "",
                               const std::string& body = "PID|1||12345^^^HOSP^MR||DOE^JOHN") {
  return "MSH|^~\\&|LAB|HOSP|ARTERY|HOSP|20240101120000||ORU^R01|" + control_id + "|P|2.5" + extra_msh + "\r" +
         body + "\r";
}

inline artery::mllp::SourceSettings loopback_settings() {
  artery::mllp::SourceSettings s;
  s.listen.host = "127.0.0.1";
  s.listen.port = 0;
  return s;
}

// A started source on a free loopback port.
struct RunningSource {
  TestContext context;
  TestHost host;
  artery::mllp::MllpSource source;
  explicit RunningSource(artery::mllp::SourceSettings settings = loopback_settings(), TestHost::Policy policy = {})
      : host(std::move(policy)), source(std::move(settings), context) {
    std::string error;
    if (!source.start(host, error)) throw std::runtime_error("source start: " + error);
  }
  std::uint16_t port() const { return source.local_port(); }
};

// Polls `condition` up to 10 s (a safety bound, not a timing assertion).
template <class F>
bool eventually(F condition) {
  for (int i = 0; i < 1000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

}  // namespace mllp_test

namespace mllp_test {

// A hand-driven MLLP peer for the destination tests: for every frame it
// receives, `reply` returns the frames (contents) to send back.
class ScriptedServer {
 public:
  using Reply = std::function<std::vector<std::string>(const std::string& frame)>;
  explicit ScriptedServer(Reply reply, std::uint16_t port = 0) : reply_(std::move(reply)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0)
      throw std::runtime_error("scripted server cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    thread_.join();
    for (auto& t : sessions_) t.join();
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  int frames() const { return frames_; }

 private:
  void run() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      {
        std::lock_guard lock(mutex_);
        open_.push_back(fd);
      }
      sessions_.emplace_back([this, fd] { serve(fd); });
    }
  }
  void serve(int fd) {
    std::string buffer;
    char chunk[65536];
    for (;;) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      for (;;) {
        auto start = buffer.find('\x0b');
        auto end = buffer.find('\x1c', start == std::string::npos ? 0 : start);
        if (start == std::string::npos || end == std::string::npos) break;
        std::string content = buffer.substr(start + 1, end - start - 1);
        buffer.erase(0, end + 1);
        ++frames_;
        std::string out;
        for (auto& r : reply_(content)) out += framed(r);
        if (!out.empty()) ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      }
    }
    ::close(fd);
  }

  Reply reply_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> frames_{0};
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> sessions_;
  std::thread thread_;
};

inline std::string ack_for(const std::string& control_id, const std::string& code, const std::string& text = "") {
  return "MSH|^~\\&|RCV|FAC|SND|FAC|20240101||ACK^R01|A" + control_id + "|P|2.5\rMSA|" + code + "|" + control_id +
         (text.empty() ? "" : "|" + text) + "\r";
}

}  // namespace mllp_test
