#include <artery/http_client.hpp>

#include <artery/tls_context.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <cctype>
#include <charconv>

namespace artery {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// ---- URL ----

std::optional<HttpUrl> HttpUrl::parse(std::string_view text, std::string& problem) {
  HttpUrl url;
  std::string_view rest;
  if (text.substr(0, 7) == "http://") {
    rest = text.substr(7);
  } else if (text.substr(0, 8) == "https://") {
    url.tls = true;
    rest = text.substr(8);
  } else {
    problem = "expected an http:// or https:// URL, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  const std::size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view target = path_at == std::string_view::npos ? std::string_view{} : rest.substr(path_at);
  if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  url.target = target.empty() ? "/" : target[0] == '?' ? "/" + std::string(target) : std::string(target);
  if (authority.find('@') != std::string_view::npos) {
    // Credentials in a URL end up in logs and message records: the auth options carry them instead.
    problem = "user:password@ in the URL is not supported (use the auth options)";
    return std::nullopt;
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      problem = "unclosed '[' in the URL's host";
      return std::nullopt;
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        problem = "unexpected text after the URL's host";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    problem = "the URL has no host";
    return std::nullopt;
  }
  url.port = url.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      problem = "bad port '" + std::string(port_text) + "' in the URL";
      return std::nullopt;
    }
    url.port = static_cast<std::uint16_t>(value);
  }
  return url;
}

std::string HttpUrl::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

std::string HttpUrl::origin() const { return (tls ? "https://" : "http://") + host_header(); }

std::string url_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string HttpClientResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(key[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return value;
  }
  return {};
}

// ---- the client ----

struct HttpClient::State {
  HttpClientOptions options;
  asio::io_context io;
  std::optional<ssl::context> tls_context;  // made on the first https request
  std::string tls_context_error;
  // The kept connection: one of the two, for `origin`.
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  std::string origin;
  beast::flat_buffer buffer;  // bytes read past the last answer (none, for a well-behaved server)
  std::atomic<bool> cancelled{false};

  beast::tcp_stream* lowest() { return secure ? &beast::get_lowest_layer(*secure) : plain.get(); }
  bool connected() const { return plain || secure; }

  void drop() {
    error_code ignored;
    if (auto* tcp = lowest()) tcp->socket().close(ignored);
    secure.reset();
    plain.reset();
    origin.clear();
    buffer.clear();
  }

  // Runs one asynchronous step to completion on the private io_context; the
  // stream's expiry (beast::tcp_stream) bounds it, cancel() cuts it.
  template <class Start>
  error_code run_step(Start start) {
    error_code result = asio::error::would_block;
    start([&](error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    if (cancelled) return asio::error::operation_aborted;
    return result;
  }
};

namespace {

std::string describe(const error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return "timed out after " + std::to_string(timeout.count()) + " ms";
  return ec.message();
}

// What OpenSSL says about a failed handshake, in words: "certificate verify
// failed (unable to get local issuer certificate)" rather than a bare code.
std::string handshake_problem(const error_code& ec, SSL* ssl) {
  std::string out = ec.message();
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) out += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
  return out;
}

bool stale_connection(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
}

HttpClient::~HttpClient() {
  if (state_) state_->drop();
}

const HttpClientOptions& HttpClient::options() const { return state_->options; }

void HttpClient::cancel() {
  state_->cancelled = true;
  // Runs on the requesting thread inside its io.run(): closing there is safe.
  asio::post(state_->io, [state = state_.get()] {
    // Queued but run only by a later request after reset_cancel(): then a no-op.
    if (!state->cancelled) return;
    error_code ignored;
    if (auto* tcp = state->lowest()) tcp->socket().cancel(ignored);
  });
}

void HttpClient::reset_cancel() { state_->cancelled = false; }

void HttpClient::close() { state_->drop(); }

HttpClientResult HttpClient::request(const HttpClientRequest& request) {
  State& s = *state_;
  HttpClientResult out;
  auto fail = [&](HttpFailure why, std::string text) {
    out.failure = why;
    out.error = std::move(text);
    return out;
  };
  if (s.cancelled) return fail(HttpFailure::cancelled, "cancelled");
  std::string problem;
  auto url = HttpUrl::parse(request.url, problem);
  if (!url) return fail(HttpFailure::bad_url, "url: " + problem);
  const std::string origin = url->origin();
  const auto& options = s.options;

  http::request<http::string_body> message;
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) return fail(HttpFailure::bad_url, "unknown HTTP method " + request.method);
  message.method(verb);
  message.target(url->target);
  message.version(11);
  message.set(http::field::host, url->host_header());
  message.set(http::field::user_agent, options.user_agent);
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  if (!request.body.empty() || verb == http::verb::post || verb == http::verb::put || verb == http::verb::patch)
    message.prepare_payload();

  for (int attempt = 0; attempt < 2; ++attempt) {
    if (s.connected() && s.origin != origin) s.drop();
    const bool reused = s.connected();
    if (!reused) {
      tcp::resolver resolver(s.io);
      error_code ec;
      auto endpoints = resolver.resolve(url->host, std::to_string(url->port), ec);
      if (ec) return fail(HttpFailure::resolve, "cannot resolve " + url->host + ": " + ec.message());
      auto stream = std::make_unique<beast::tcp_stream>(s.io);
      stream->expires_after(options.connect_timeout);
      ec = s.run_step([&](auto handler) { stream->async_connect(endpoints, handler); });
      if (s.cancelled) return fail(HttpFailure::cancelled, "cancelled");
      if (ec)
        return fail(ec == beast::error::timeout ? HttpFailure::timeout : HttpFailure::connect,
                    "connect to " + origin + ": " + describe(ec, options.connect_timeout));
      if (url->tls) {
        if (!s.tls_context) {
          s.tls_context = make_client_tls_context(options.tls, s.tls_context_error);
          if (!s.tls_context) return fail(HttpFailure::tls_setup, s.tls_context_error);
        }
        auto secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), *s.tls_context);
        const std::string name = options.tls.server_name.empty() ? url->host : options.tls.server_name;
        SSL_set_tlsext_host_name(secure->native_handle(), name.c_str());
        if (options.tls.verify_peer) {
          secure->set_verify_mode(ssl::verify_peer);
          secure->set_verify_callback(ssl::host_name_verification(name));
        } else {
          secure->set_verify_mode(ssl::verify_none);
        }
        beast::get_lowest_layer(*secure).expires_after(options.connect_timeout);
        ec = s.run_step([&](auto handler) { secure->async_handshake(ssl::stream_base::client, handler); });
        if (s.cancelled) return fail(HttpFailure::cancelled, "cancelled");
        if (ec)
          return fail(ec == beast::error::timeout ? HttpFailure::timeout : HttpFailure::tls,
                      "TLS handshake with " + origin + ": " +
                          (ec == beast::error::timeout ? describe(ec, options.connect_timeout)
                                                       : handshake_problem(ec, secure->native_handle())));
        s.secure = std::move(secure);
      } else {
        s.plain = std::move(stream);
      }
      s.origin = origin;
      s.buffer.clear();
    }

    s.lowest()->expires_after(options.request_timeout);
    error_code ec;
    if (s.secure)
      ec = s.run_step([&](auto handler) { http::async_write(*s.secure, message, handler); });
    else
      ec = s.run_step([&](auto handler) { http::async_write(*s.plain, message, handler); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body);
    if (verb == http::verb::head) parser.skip(true);
    if (!ec) {
      if (s.secure)
        ec = s.run_step([&](auto handler) { http::async_read(*s.secure, s.buffer, parser, handler); });
      else
        ec = s.run_step([&](auto handler) { http::async_read(*s.plain, s.buffer, parser, handler); });
    }
    if (s.cancelled) {
      s.drop();
      return fail(HttpFailure::cancelled, "cancelled");
    }
    if (ec) {
      s.drop();
      // A kept connection the server closed while idle: nothing of this
      // request reached it, so dialling again is safe.
      if (reused && !parser.got_some() && stale_connection(ec)) continue;
      if (ec == http::error::body_limit)
        return fail(HttpFailure::too_large, origin + " answered with a body over " +
                                                std::to_string(options.max_body) + " bytes");
      return fail(ec == beast::error::timeout ? HttpFailure::timeout : HttpFailure::io,
                  "request to " + origin + ": " + describe(ec, options.request_timeout));
    }
    auto& answer = parser.get();
    HttpClientResponse response;
    response.status = static_cast<int>(answer.result_int());
    response.reason = std::string(answer.reason());
    for (const auto& field : answer) response.headers.emplace_back(field.name_string(), field.value());
    response.body = std::move(answer.body());
    if (!answer.keep_alive()) s.drop();
    out.response = std::move(response);
    return out;
  }
  return fail(HttpFailure::io, "request to " + origin + ": the connection closed twice before an answer");
}

}  // namespace artery
