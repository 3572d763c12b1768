// One HTTP(S) request to a webhook: POST or PUT a body with headers, wait for
// the answer. Blocking, with a deadline on every step, so a dead endpoint
// costs a bounded time. Used by the `webhook` destination and by alerts.
// Built on the core HttpClient (artery/http_client.hpp).
#pragma once
#include <artery/tls_settings.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace artery::notify {

struct HttpAuth {
  enum class Kind { none, basic, bearer };
  Kind kind = Kind::none;
  std::string username, password;  // basic
  std::string token;               // bearer
};

struct HttpSendRequest {
  std::string url;  // http:// or https://
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
  HttpAuth auth;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};  // writing the request and reading the whole answer
  // https: certificate and host name checked by default (verify_peer), against
  // tls.ca or the system store; SNI is the URL's host unless server_name says otherwise.
  TlsSettings tls{true, {}, {}, {}, true, {}};
};

struct HttpSendResult {
  bool ok = false;        // a 2xx answer
  int status = 0;         // 0: no answer (connection, TLS or timeout failure)
  std::string body;       // the answer's body (at most 64 KiB kept)
  std::string error;      // for a failure: what happened, with status and the start of the body
  // Worth trying again later: no answer, 408, 429 or 5xx. A 4xx otherwise
  // means the request itself is wrong and sending it again will not help.
  bool transient = false;
};

HttpSendResult send_http(const HttpSendRequest& request);

}  // namespace artery::notify
