// A blocking HTTP/1.1 client for plugins that dial out (FHIR, later the
// webhook and the CLI's admin client): http and https, one request at a
// time, keeping one connection to one origin open between requests.
//
// https is TLS 1.2+ with the server's certificate and host name verified by
// default, against tls.ca or the system store; an optional client
// certificate. Every request has a deadline (connect, and then writing the
// request and reading the whole answer); a body larger than max_body is an
// error, not a truncated answer. Redirects are not followed: a 3xx is an
// answer like any other.
//
// No Boost.Beast or Asio in this header: the implementation is in the core
// library (engine/src/http/http_client.cpp).
#pragma once
#include <artery/tls_settings.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artery {

// An http:// or https:// URL split into what a client dials and asks.
struct HttpUrl {
  bool tls = false;        // https
  std::string host;        // without the brackets of an IPv6 literal
  std::uint16_t port = 0;  // 80 / 443 unless written
  std::string target;      // path and query, "/" when the URL has none

  // nullopt with `problem` for anything but a well-formed http(s) URL.
  static std::optional<HttpUrl> parse(std::string_view text, std::string& problem);
  // host[:port] as the Host header wants it (the port only when not the default).
  std::string host_header() const;
  // scheme://host[:port] — what a connection is kept for.
  std::string origin() const;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // Writing one request and reading its whole answer.
  std::chrono::milliseconds request_timeout{30'000};
  // A larger answer body ends the request with an error (and the connection).
  std::uint64_t max_body = 64ull << 20;
  // https: verify_peer checks the certificate and host name (default on);
  // ca: the CA bundle (else the system store); cert/key: a client
  // certificate; server_name: SNI and the name checked (default the URL's host).
  TlsSettings tls{true, {}, {}, {}, true, {}};
  std::string user_agent = "artery";
};

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http(s) URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when not empty (or when the method is POST/PUT/PATCH)
};

struct HttpClientResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;

  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

// Why no answer came back.
enum class HttpFailure {
  none,
  bad_url,     // the URL does not parse
  tls_setup,   // tls.ca / tls.cert / tls.key cannot be used
  resolve,     // the host name does not resolve
  connect,     // refused, unreachable
  timeout,     // connect or request deadline passed
  tls,         // handshake failed: an untrusted or mismatching certificate, no common protocol
  io,          // the connection broke while writing or reading, or the answer is malformed
  too_large,   // the answer's body exceeds max_body
  cancelled,   // cancel() was called
};

struct HttpClientResult {
  std::optional<HttpClientResponse> response;  // set when an HTTP answer arrived (any status)
  HttpFailure failure = HttpFailure::none;
  std::string error;  // in words, with the URL's origin, when there is no response
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request, blocking. The connection of the previous request is reused
  // when it went to the same origin and the server kept it open; a reused
  // connection the server has closed meanwhile is redialled once, silently.
  HttpClientResult request(const HttpClientRequest& request);

  // From any thread: ends the request in progress (as `cancelled`) and makes
  // later ones fail at once until reset_cancel(). For a connector's stop().
  void cancel();
  void reset_cancel();

  // Closes the kept connection (the next request dials again).
  void close();

  const HttpClientOptions& options() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// `text` with every byte that is not unreserved (RFC 3986) as %XX: for query values.
std::string url_encode(std::string_view text);

}  // namespace artery
