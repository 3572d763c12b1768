// One request handed to an HttpRouter's handler the way HttpServer does once
// it has read a request (engine/src/http/http_server.cpp, handle()): the
// path percent-decoded, the query split, the route matched, the handler
// called, and its answer awaited (it may come from another thread). No socket:
// the fuzz targets reach the handlers directly.
#pragma once
#include <artery/http_message.hpp>
#include <artery/http_router.hpp>

#include "http/query_string.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace artery::fuzz {

// Like the server's target: the first answer wins, and a handler that drops
// every copy of its responder without answering gets a 500.
class AnswerTarget final : public HttpResponder::Target {
 public:
  ~AnswerTarget() override {
    if (!answered_.exchange(true)) answer_.set_value(HttpResponse::error(500, "the handler gave no response"));
  }
  void complete(HttpResponse response) noexcept override {
    if (!answered_.exchange(true)) answer_.set_value(std::move(response));
  }
  std::future<HttpResponse> future() { return answer_.get_future(); }

 private:
  std::atomic<bool> answered_{false};
  std::promise<HttpResponse> answer_;
};

// `request` has method, target, headers and body set. nullopt when the
// server answers by itself (a bad escape, no such route, wrong method).
inline std::optional<HttpResponse> route(const HttpRouter& router, HttpRequest request) {
  const std::string method = request.method;
  const std::string target_text = request.target;
  std::string_view target = target_text;
  const auto question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  auto path = percent_decode(raw_path, false);
  if (!path) return std::nullopt;
  if (question != std::string_view::npos && !parse_query(target.substr(question + 1), request.query))
    return std::nullopt;
  request.path = std::move(*path);
  HttpRouteMatch match = router.match(request.method, raw_path);
  if (match.status != 200) return std::nullopt;
  request.path_params = std::move(match.params);
  auto answer = std::make_shared<AnswerTarget>();
  auto future = answer->future();
  {
    HttpResponder responder(answer);
    answer.reset();
    // Not caught: the server would answer 500, and a handler that throws on
    // a client's input is a bug the fuzzer should report.
    (*match.handler)(std::move(request), responder);
  }
  HttpResponse response = future.get();
  // ARTERY_FUZZ_TRACE=1: each answer on stderr, to see where a replayed input goes.
  static const bool trace = std::getenv("ARTERY_FUZZ_TRACE") != nullptr;
  if (trace)
    std::fprintf(stderr, "%s %s -> %d %.200s\n", method.c_str(), target.data(), response.status, response.body.c_str());
  return response;
}

}  // namespace artery::fuzz
