// A blocking MLLP client for tests and benchmarks: one connection, frames out,
// answers in, over a real loopback socket. Header-only, deliberately not the
// engine's code.
#pragma once
#include "support/loopback.hpp"

#include <string>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace artery::testing {

class MllpClient {
 public:
  explicit MllpClient(int port, int timeout_s = 10) : fd_(connect_loopback(port)) {
    timeval timeout{timeout_s, 0};
    if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~MllpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  MllpClient(const MllpClient&) = delete;
  MllpClient& operator=(const MllpClient&) = delete;
  bool ok() const { return fd_ >= 0; }

  bool send(const std::string& body) {
    const std::string frame = "\x0b" + body + "\x1c\x0d";
    return fd_ >= 0 && ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size());
  }
  // The next answer frame's content, or "" on timeout or a closed connection.
  std::string receive() {
    for (;;) {
      auto end = buffer_.find("\x1c\x0d");
      if (end != std::string::npos) {
        auto start = buffer_.find('\x0b');
        std::string answer = start < end ? buffer_.substr(start + 1, end - start - 1) : std::string();
        buffer_.erase(0, end + 2);
        return answer;
      }
      char chunk[4096];
      const ssize_t n = fd_ < 0 ? -1 : ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  std::string exchange(const std::string& body) { return send(body) ? receive() : std::string(); }

 private:
  int fd_;
  std::string buffer_;
};

// An ORU^R01 with this control id, as the tests send it.
inline std::string hl7_message(const std::string& control_id) {
  return "MSH|^~\\&|LAB|HOSP|ARTERY|HOSP|20261201120000||ORU^R01|" + control_id +
         "|P|2.5\rPID|1||555444222^^^HOSP^MR||SMITH^JOHN\rOBX|1|NM|2823-3^Potassium^LN||5.9|mmol/L|||||F\r";
}

}  // namespace artery::testing
