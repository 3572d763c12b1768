#include "support/http_client.hpp"

#include "support/loopback.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <chrono>
#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace artery::testing {
namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Reads until the peer closes or the deadline passes.
std::string read_all(int fd, int timeout_ms, const std::function<bool(const std::string&)>& complete) {
  std::string data;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[16384];
  while (!complete(data)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  return data;
}

// Decodes a chunked body; false until the last chunk has arrived.
bool dechunk(const std::string& raw, std::string& out) {
  out.clear();
  std::size_t at = 0;
  for (;;) {
    auto eol = raw.find("\r\n", at);
    if (eol == std::string::npos) return false;
    std::size_t size = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    at = eol + 2;
    if (size == 0) return raw.find("\r\n", at) != std::string::npos;
    if (raw.size() < at + size + 2) return false;
    out.append(raw, at, size);
    at += size + 2;
  }
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

std::vector<std::string> HttpReply::headers_named(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (k == name) out.push_back(v);
  return out;
}

HttpReply http_request(int port, const HttpCall& call, int timeout_ms) {
  HttpReply reply;
  int fd = connect_loopback(port);
  if (fd < 0) return reply;
  std::string request = call.method + " " + call.target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  for (const auto& [k, v] : call.headers) request += k + ": " + v + "\r\n";
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT")
    request += "Content-Length: " + std::to_string(call.body.size()) + "\r\n";
  request += "\r\n" + call.body;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return reply;
  }
  std::string raw = read_all(fd, timeout_ms, [](const std::string&) { return false; });
  ::close(fd);
  auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.rfind("HTTP/1.", 0) != 0) return reply;
  reply.status = std::atoi(raw.c_str() + 9);
  std::size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    auto end = raw.find("\r\n", line);
    auto colon = raw.find(':', line);
    if (colon != std::string::npos && colon < end) {
      std::string value = raw.substr(colon + 1, end - colon - 1);
      value.erase(0, value.find_first_not_of(' '));
      reply.headers.emplace_back(lower(raw.substr(line, colon - line)), value);
    }
    line = end + 2;
  }
  std::string body = raw.substr(head_end + 4);
  if (lower(reply.header("transfer-encoding")) == "chunked") dechunk(body, reply.body);
  else reply.body = std::move(body);
  return reply;
}

HttpReply http_post_json(int port, const std::string& target, const std::string& json,
                         std::vector<std::pair<std::string, std::string>> headers) {
  headers.emplace_back("Content-Type", "application/json");
  return http_request(port, {"POST", target, std::move(headers), json});
}

bool wait_for_http(int port, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_get(port, "/api/health").status != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace artery::testing
