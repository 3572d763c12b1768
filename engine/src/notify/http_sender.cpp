#include "notify/http_sender.hpp"

#include "notify/base64.hpp"
#include "notify/http_url.hpp"

#include <artery/http_client.hpp>

namespace artery::notify {
namespace {

constexpr std::size_t kKeptBody = 64 * 1024;
constexpr std::size_t kErrorBody = 300;  // how much of a failure's body goes into the error text

}  // namespace

// One request through the core's HttpClient (the FHIR client's), with a
// webhook's extras: user:password@ in the URL as basic auth, and the answer
// read as sent or not, transient or not.
HttpSendResult send_http(const HttpSendRequest& request) {
  HttpSendResult out;
  std::string problem;
  auto url = parse_http_url(request.url, problem);
  if (!url) {
    out.error = "url: " + problem;
    return out;
  }
  const std::string where = url->origin() + url->target;

  HttpClientRequest message;
  message.method = request.method == "PUT" ? "PUT" : "POST";
  // The URL without user:password@: the client refuses credentials there.
  message.url = where;
  if (!request.content_type.empty()) message.headers.emplace_back("Content-Type", request.content_type);
  HttpAuth auth = request.auth;
  if (auth.kind == HttpAuth::Kind::none && !url->user.empty()) auth = {HttpAuth::Kind::basic, url->user, url->password, {}};
  if (auth.kind == HttpAuth::Kind::basic)
    message.headers.emplace_back("Authorization", "Basic " + base64_encode(auth.username + ":" + auth.password));
  else if (auth.kind == HttpAuth::Kind::bearer)
    message.headers.emplace_back("Authorization", "Bearer " + auth.token);
  for (const auto& header : request.headers) message.headers.push_back(header);
  message.body = request.body;

  HttpClientOptions options;
  options.connect_timeout = request.connect_timeout;
  options.request_timeout = request.timeout;
  options.max_body = 16ull << 20;
  options.tls = request.tls;
  HttpClient client(std::move(options));
  HttpClientResult result = client.request(message);
  if (!result.response) {
    // A wrong URL or unusable TLS files will not fix themselves; anything
    // on the way (resolve, connect, handshake, timeout, a broken answer)
    // may. An expired server certificate about to be renewed counts as the latter.
    out.transient = result.failure != HttpFailure::bad_url && result.failure != HttpFailure::tls_setup;
    out.error = std::move(result.error);
    return out;
  }
  const HttpClientResponse& response = *result.response;
  out.status = response.status;
  out.body = response.body.substr(0, kKeptBody);
  out.ok = out.status >= 200 && out.status < 300;
  if (!out.ok) {
    out.transient = out.status >= 500 || out.status == 408 || out.status == 429;
    const std::string start = response.body.substr(0, kErrorBody);
    out.error = where + " answered " + std::to_string(out.status) + " " + response.reason +
                (start.empty() ? "" : ": " + start);
  }
  return out;
}

}  // namespace artery::notify
