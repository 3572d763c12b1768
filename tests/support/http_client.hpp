// A plain blocking HTTP/1.1 client for tests: one request per connection,
// over a real loopback socket, reading the whole answer (Content-Length or
// chunked). Deliberately not the engine's code, so a test of the server does
// not share its bugs.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace artery::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (connection refused, closed, timed out)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;  // "" when absent
  // Every value of Set-Cookie, and the like.
  std::vector<std::string> headers_named(const std::string& lower_name) const;
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when not empty (and always for POST/PUT)
};

HttpReply http_request(int port, const HttpCall& call, int timeout_ms = 10'000);
inline HttpReply http_get(int port, const std::string& target,
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
  return http_request(port, {"GET", target, std::move(headers), {}});
}
// POST with a JSON body.
HttpReply http_post_json(int port, const std::string& target, const std::string& json,
                         std::vector<std::pair<std::string, std::string>> headers = {});

// Waits until something answers HTTP on the port (the engine is up).
bool wait_for_http(int port, int timeout_ms = 20'000);

}  // namespace artery::testing
