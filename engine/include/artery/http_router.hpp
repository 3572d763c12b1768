// Routes HTTP requests by method and path pattern to handlers.
#pragma once
#include <artery/http_message.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artery {

// Answers one request, once, from any thread. Copies share the one answer:
// the first respond() wins, later ones are ignored. If every copy is
// destroyed without an answer the client gets a 500, never a hang.
class HttpResponder {
 public:
  // The server's side: where the answer goes.
  class Target {
   public:
    virtual ~Target() = default;
    virtual void complete(HttpResponse response) noexcept = 0;
  };
  explicit HttpResponder(std::shared_ptr<Target> target) noexcept : target_(std::move(target)) {}
  void respond(HttpResponse response) const noexcept;

 private:
  std::shared_ptr<Target> target_;
};

// Blocking handler: runs on one of the server's handler threads (several
// at once for different connections: be thread-safe) and returns the answer. May block (SQLite reads, waiting on a channel); an exception
// becomes a 500 and is logged.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Asynchronous handler: runs on a handler thread, returns at once, answers
// later through the responder (for example from a channel's `done` callback,
// so no thread waits while the message is stored).
using HttpAsyncHandler = std::function<void(HttpRequest, HttpResponder)>;

struct HttpRouteMatch {
  int status = 404;                       // 200 matched, 404 no such path, 405 path known, method not, 400 bad escape
  const HttpAsyncHandler* handler = nullptr;  // when 200; owned by the router
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;  // when 405: the methods the path has, "GET, HEAD, POST"
};

class HttpRouter {
 public:
  HttpRouter();
  ~HttpRouter();
  HttpRouter(HttpRouter&&) noexcept;
  HttpRouter& operator=(HttpRouter&&) noexcept;

  // `pattern` is a path of segments: literal ("api"), a parameter ("{name}")
  // that matches one non-empty segment, or, as the last segment only,
  // "{name...}" that matches the rest of the path (possibly empty, slashes
  // kept). A path several patterns match goes to the most specific: literal
  // before parameter before rest, segment by segment. A GET route also
  // answers HEAD (without the body) unless HEAD has its own route.
  // False with `error` for a malformed pattern or a duplicate route.
  bool add(std::string_view method, std::string_view pattern, HttpHandler handler,
           std::string* error = nullptr) noexcept;
  bool add_async(std::string_view method, std::string_view pattern, HttpAsyncHandler handler,
                 std::string* error = nullptr) noexcept;

  // `path` as received, before percent-decoding (so an escaped "/" stays
  // inside its segment); params come back decoded.
  HttpRouteMatch match(std::string_view method, std::string_view path) const;

 private:
  struct Route;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace artery
