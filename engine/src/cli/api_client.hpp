// The admin API as the commands that mirror it see it (artery channels,
// channel, messages, queue, reload): one request at a time through the
// core's HttpClient, a fresh connection each (the commands make a handful),
// errors in the words a user at a terminal needs. https verifies the
// engine's certificate and host name, against --ca FILE or the system's store.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artery::cli {

struct ApiServer {
  bool tls = false;
  std::string host;  // without the brackets of an IPv6 literal
  std::string port;
  std::string prefix;  // a path the API is served under (behind a proxy): "" or "/artery"

  // "http://127.0.0.1:8080", "https://engine.example:8443/artery"; nullopt
  // with `error` for anything else.
  static std::optional<ApiServer> parse(std::string_view url, std::string& error);
  std::string url() const;  // as given back to the user in messages
};

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

class ApiClient {
 public:
  // `token`: sent as Authorization: Bearer (none when empty). `ca_file`: the
  // CA bundle for https ("" = the system's).
  ApiClient(ApiServer server, std::string token, std::string ca_file,
            std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // One request; `target` is the path and query ("/api/channels"). nullopt
  // with `error` in words when no HTTP answer came back (refused, timed out,
  // TLS failed); any HTTP status is an answer.
  std::optional<ApiResponse> request(std::string_view method, std::string_view target, const std::string& body,
                                     std::string& error) const;

  const ApiServer& server() const { return server_; }

 private:
  ApiServer server_;
  std::string token_;
  std::string ca_file_;
  std::chrono::milliseconds timeout_;
};

}  // namespace artery::cli
