#include "cli/api_client.hpp"

#include <artery/version.hpp>

#include <artery/tls_context.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <exception>

namespace artery::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A message's detail can hold a large HL7 batch or PDF: generous, but bounded.
constexpr std::uint64_t kBodyLimit = 256ull << 20;

struct Exchange {
  const ApiServer& server;
  http::request<http::string_body> request;
  std::chrono::milliseconds timeout;
  asio::ssl::context* tls = nullptr;
  ApiResponse response;
  std::string error;
  bool connected = false;
};

// Every step under the one deadline set before connecting: a tcp_stream
// whose expiry passes cancels the step in progress with beast::error::timeout.
template <class Stream>
asio::awaitable<void> send_and_read(Stream& stream, Exchange& exchange) {
  co_await http::async_write(stream, exchange.request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  auto& message = parser.get();
  exchange.response.status = static_cast<int>(message.result_int());
  exchange.response.content_type = std::string(message[http::field::content_type]);
  exchange.response.body = std::move(message.body());
}

asio::awaitable<void> run(Exchange& exchange) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(exchange.server.host, exchange.server.port, asio::use_awaitable);
  if (!exchange.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_after(exchange.timeout);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    exchange.connected = true;
    co_await send_and_read(stream, exchange);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *exchange.tls);
  beast::get_lowest_layer(stream).expires_after(exchange.timeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  exchange.connected = true;
  const std::string& name = exchange.server.host;
  SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  stream.set_verify_callback(asio::ssl::host_name_verification(name));
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  co_await send_and_read(stream, exchange);
  // The answer is complete; a peer that does not finish the TLS shutdown
  // politely changes nothing, so its result is not awaited for long.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  try {
    co_await stream.async_shutdown(asio::use_awaitable);
  } catch (const std::exception&) {
  }
}

std::string words(const boost::system::system_error& e) {
  std::string what = e.code().message();
  if (e.code().category() == asio::error::get_ssl_category() || e.code().category().name() == std::string("asio.ssl"))
    what = "TLS: " + what;
  return what;
}

}  // namespace

std::optional<ApiServer> ApiServer::parse(std::string_view url, std::string& error) {
  ApiServer server;
  std::string_view rest = url;
  if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
    server.tls = true;
  } else {
    error = "'" + std::string(url) + "' is not an http:// or https:// address";
    return std::nullopt;
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    server.prefix = std::string(rest.substr(slash));
    while (!server.prefix.empty() && server.prefix.back() == '/') server.prefix.pop_back();
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "'" + std::string(url) + "': an IPv6 address needs its closing ]";
      return std::nullopt;
    }
    server.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') port = authority.substr(1);
    else if (!authority.empty()) server.host.clear();
  } else {
    auto colon = authority.rfind(':');
    server.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (server.host.empty()) {
    error = "'" + std::string(url) + "' names no host";
    return std::nullopt;
  }
  if (port.empty()) port = server.tls ? "443" : "80";
  if (port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 5) {
    error = "'" + std::string(url) + "': '" + std::string(port) + "' is not a port";
    return std::nullopt;
  }
  server.port = std::string(port);
  return server;
}

std::string ApiServer::url() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + port + prefix;
}

ApiClient::ApiClient(ApiServer server, std::string token, std::string ca_file, std::chrono::milliseconds timeout)
    : server_(std::move(server)), token_(std::move(token)), ca_file_(std::move(ca_file)), timeout_(timeout) {}

std::optional<ApiResponse> ApiClient::request(std::string_view method, std::string_view target,
                                              const std::string& body, std::string& error) const {
  std::optional<asio::ssl::context> tls;
  if (server_.tls) {
    TlsSettings settings;
    settings.enabled = true;
    settings.verify_peer = true;
    settings.ca = ca_file_;
    tls = make_client_tls_context(settings, error);
    if (!tls) return std::nullopt;
  }
  Exchange exchange{server_, {}, timeout_, tls ? &*tls : nullptr, {}, {}, false};
  auto& request = exchange.request;
  request.method(http::string_to_verb(method));
  request.target(server_.prefix + std::string(target));
  request.version(11);
  const bool v6 = server_.host.find(':') != std::string::npos;
  request.set(http::field::host, (v6 ? "[" + server_.host + "]" : server_.host) + ":" + server_.port);
  request.set(http::field::user_agent, "artery-cli/" + std::string(kEngineVersion));
  request.set(http::field::accept, "application/json");
  request.set(http::field::connection, "close");
  if (!token_.empty()) request.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty() || method == "POST") {
    request.set(http::field::content_type, "application/json");
    request.body() = body;
  }
  request.prepare_payload();

  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, run(exchange), [&failure](std::exception_ptr e) { failure = e; });
  io.run();
  if (!failure) return exchange.response;
  const std::string where = server_.url();
  try {
    std::rethrow_exception(failure);
  } catch (const boost::system::system_error& e) {
    if (e.code() == beast::error::timeout) {
      error = "no answer from " + where + " within " + std::to_string(timeout_.count() / 1000) + " s";
    } else if (e.code() == asio::error::connection_refused) {
      error = "cannot connect to " + where + ": connection refused (is the engine running with --http?)";
    } else if (!exchange.connected) {
      error = "cannot connect to " + where + ": " + words(e) + " (is the engine running with --http?)";
    } else {
      error = where + ": " + words(e);
    }
  } catch (const std::exception& e) {
    error = where + ": " + e.what();
  }
  return std::nullopt;
}

}  // namespace artery::cli
