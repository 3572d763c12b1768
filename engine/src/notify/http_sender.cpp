#include "notify/http_sender.hpp"

#include "notify/base64.hpp"
#include "notify/http_url.hpp"

#include <artery/tls_context.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <optional>

namespace artery::notify {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kKeptBody = 64 * 1024;
constexpr std::size_t kErrorBody = 300;  // how much of a failure's body goes into the error text

// Runs one asynchronous step to completion on a private io_context. The
// stream's own expiry (beast::tcp_stream) bounds how long it can take.
template <class Start>
error_code run_step(asio::io_context& io, Start start) {
  error_code result = asio::error::would_block;
  start([&](error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

std::string describe(const error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return "timed out after " + std::to_string(timeout.count()) + "ms";
  return ec.message();
}

template <class Stream>
HttpSendResult exchange(asio::io_context& io, Stream& stream, beast::tcp_stream& lowest,
                        const http::request<http::string_body>& request, std::chrono::milliseconds timeout,
                        const std::string& where) {
  HttpSendResult out;
  lowest.expires_after(timeout);
  error_code ec = run_step(io, [&](auto handler) { http::async_write(stream, request, handler); });
  if (ec) {
    out.transient = true;
    out.error = "sending to " + where + ": " + describe(ec, timeout);
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  ec = run_step(io, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  if (ec) {
    out.transient = true;
    out.error = "reading the answer of " + where + ": " + describe(ec, timeout);
    return out;
  }
  auto& response = parser.get();
  out.status = static_cast<int>(response.result_int());
  out.body = response.body().substr(0, kKeptBody);
  out.ok = out.status >= 200 && out.status < 300;
  if (!out.ok) {
    out.transient = out.status >= 500 || out.status == 408 || out.status == 429;
    std::string start = response.body().substr(0, kErrorBody);
    out.error = where + " answered " + std::to_string(out.status) + " " + std::string(response.reason()) +
                (start.empty() ? "" : ": " + start);
  }
  return out;
}

}  // namespace

HttpSendResult send_http(const HttpSendRequest& request) {
  HttpSendResult out;
  std::string problem;
  auto url = parse_http_url(request.url, problem);
  if (!url) {
    out.error = "url: " + problem;
    return out;
  }
  const std::string where = (url->tls ? "https://" : "http://") + url->host_header() + url->target;

  http::request<http::string_body> message;
  message.method(request.method == "PUT" ? http::verb::put : http::verb::post);
  message.target(url->target);
  message.version(11);
  message.set(http::field::host, url->host_header());
  message.set(http::field::user_agent, "artery");
  message.set(http::field::connection, "close");
  if (!request.content_type.empty()) message.set(http::field::content_type, request.content_type);
  HttpAuth auth = request.auth;
  if (auth.kind == HttpAuth::Kind::none && !url->user.empty()) auth = {HttpAuth::Kind::basic, url->user, url->password, {}};
  if (auth.kind == HttpAuth::Kind::basic)
    message.set(http::field::authorization, "Basic " + base64_encode(auth.username + ":" + auth.password));
  else if (auth.kind == HttpAuth::Kind::bearer)
    message.set(http::field::authorization, "Bearer " + auth.token);
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();

  asio::io_context io;
  tcp::resolver resolver(io);
  error_code ec;
  auto endpoints = resolver.resolve(url->host, std::to_string(url->port), ec);
  if (ec) {
    out.transient = true;
    out.error = "cannot resolve " + url->host + ": " + ec.message();
    return out;
  }
  beast::tcp_stream tcp(io);
  tcp.expires_after(request.connect_timeout);
  ec = run_step(io, [&](auto handler) { tcp.async_connect(endpoints, handler); });
  if (ec) {
    out.transient = true;
    out.error = "connect to " + url->host_header() + ": " + describe(ec, request.connect_timeout);
    return out;
  }
  if (!url->tls) return exchange(io, tcp, tcp, message, request.timeout, where);

  auto context = make_client_tls_context(request.tls, problem);
  if (!context) {
    out.error = problem;
    return out;
  }
  beast::ssl_stream<beast::tcp_stream> secure(std::move(tcp), *context);
  const std::string name = request.tls.server_name.empty() ? url->host : request.tls.server_name;
  SSL_set_tlsext_host_name(secure.native_handle(), name.c_str());
  if (request.tls.verify_peer) secure.set_verify_callback(ssl::host_name_verification(name));
  beast::get_lowest_layer(secure).expires_after(request.connect_timeout);
  ec = run_step(io, [&](auto handler) { secure.async_handshake(ssl::stream_base::client, handler); });
  if (ec) {
    // A certificate problem will not fix itself, but it may be the server's
    // expired certificate about to be renewed: retried like any transient failure.
    out.transient = true;
    out.error = "TLS handshake with " + url->host_header() + ": " + describe(ec, request.connect_timeout);
    return out;
  }
  return exchange(io, secure, beast::get_lowest_layer(secure), message, request.timeout, where);
}

}  // namespace artery::notify
