// What an HTTP handler sees and answers: the request, the response, and the
// writer a streaming response (server-sent events) pushes through. Plain
// standard types only, so plugins and the admin API never see Boost.Beast.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artery {

// Header fields in the order received, looked up case-insensitively
// (RFC 9110: field names are case-insensitive).
class HttpHeaders {
 public:
  // The first field with this name, or nullptr.
  const std::string* find(std::string_view name) const noexcept;
  std::string get(std::string_view name, std::string_view fallback = {}) const;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  // Replaces every field of this name with one.
  void set(std::string_view name, std::string_view value);
  // Adds a field even if one exists (Set-Cookie, Link).
  void add(std::string_view name, std::string_view value);
  void remove(std::string_view name) noexcept;
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct HttpRequest {
  std::string method;  // "GET", as sent (methods are case-sensitive)
  std::string target;  // the raw request target: "/api/messages?q=a%20b"
  std::string path;    // the target's path, percent-decoded: "/api/messages"
  // The route's {name} segments, each percent-decoded on its own (so "%2F"
  // inside a parameter stays in it instead of splitting the path).
  std::vector<std::pair<std::string, std::string>> path_params;
  // The query, decoded ('+' is a space), in order; a key may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  HttpHeaders headers;
  std::string body;
  std::string peer_address;  // "127.0.0.1" or "::1" (IPv4-mapped IPv6 shown as IPv4)
  std::uint16_t peer_port = 0;
  bool tls = false;
  std::string tls_peer_subject;  // the client certificate's subject when one was verified
  unsigned version = 11;         // 10 or 11

  // A {name} from the route; "" when the route has none of that name.
  const std::string& param(std::string_view name) const noexcept;
  // The first value of a query key.
  std::optional<std::string> query_param(std::string_view key) const;
  // A cookie from the Cookie header.
  std::optional<std::string> cookie(std::string_view name) const;
};

// Pushes the body of a streaming response from any thread, for as long as
// the client stays and the server runs. Thread-safe; keep the shared_ptr.
class HttpStreamWriter {
 public:
  virtual ~HttpStreamWriter() = default;
  // Queues bytes as they are. False once the stream has ended: the client
  // went away, the server is stopping, close() was called, or the client
  // reads so slowly that more than HttpServerOptions::max_stream_buffer bytes
  // are waiting (a stalled reader must not grow the engine's memory).
  virtual bool write(std::string_view bytes) = 0;
  // One server-sent event: "event:" and "id:" lines when given, each line of
  // `data` as a "data:" line, then a blank line.
  bool send_event(std::string_view data, std::string_view event = {}, std::string_view id = {});
  // A ": text" line, which clients ignore: keeps proxies from timing out an idle stream.
  bool send_comment(std::string_view text);
  // Ends the response cleanly once what is queued has been written.
  virtual void close() = 0;
  virtual bool is_open() const = 0;
  // Runs once when the stream ends, whatever the reason (at once if it has
  // already ended), on a server thread: unsubscribe here. Must not block.
  virtual void on_close(std::function<void()> callback) = 0;
};

// Called (on a handler thread) once the response head is on its way; may
// write at once or keep the writer and push later.
using HttpStreamOpener = std::function<void(std::shared_ptr<HttpStreamWriter>)>;

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  // Set for a streaming response: `body` is ignored, the body is what the
  // opener's writer pushes (chunked), and the connection ends with the stream.
  HttpStreamOpener stream;

  static HttpResponse json(int status, std::string body);
  static HttpResponse text(int status, std::string body, std::string_view content_type = "text/plain; charset=utf-8");
  // {"error": "message"}: the server's default shape for errors.
  static HttpResponse error(int status, std::string_view message);
  // text/event-stream, no caching; `opener` gets the writer.
  static HttpResponse event_stream(HttpStreamOpener opener);
  static HttpResponse streaming(std::string_view content_type, HttpStreamOpener opener);
};

// "a b" -> "\"a b\"" with JSON escapes: for small hand-built JSON bodies.
std::string json_quote(std::string_view text);
// "%41+b" -> "A b" when `plus_is_space` (query strings), "A+b" otherwise.
// nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// The standard reason phrase ("Not Found"), or "" for an unknown status.
std::string_view http_reason(int status) noexcept;

}  // namespace artery
