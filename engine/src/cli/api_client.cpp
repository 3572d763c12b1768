#include "cli/api_client.hpp"

#include <artery/http_client.hpp>
#include <artery/version.hpp>

#include <cctype>

namespace artery::cli {
namespace {

// A message's detail can hold a large HL7 batch or PDF: generous, but bounded.
constexpr std::uint64_t kBodyLimit = 256ull << 20;

bool mentions_refused(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text.find("refused") != std::string::npos;
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
  HttpClientOptions options;
  options.connect_timeout = timeout_;
  options.request_timeout = timeout_;
  options.max_body = kBodyLimit;
  options.tls = TlsSettings{};
  options.tls.enabled = true;
  options.tls.verify_peer = true;
  options.tls.ca = ca_file_;
  options.user_agent = "artery-cli/" + std::string(kEngineVersion);
  HttpClient client(std::move(options));

  HttpClientRequest request;
  request.method = std::string(method);
  request.url = server_.url() + std::string(target);
  request.headers.emplace_back("Accept", "application/json");
  if (!token_.empty()) request.headers.emplace_back("Authorization", "Bearer " + token_);
  if (!body.empty() || method == "POST") {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
  }
  HttpClientResult result = client.request(request);
  if (result.response) {
    ApiResponse out;
    out.status = result.response->status;
    out.content_type = result.response->header("Content-Type");
    out.body = std::move(result.response->body);
    return out;
  }
  const std::string where = server_.url();
  switch (result.failure) {
    case HttpFailure::timeout:
      error = "no answer from " + where + " within " + std::to_string(timeout_.count() / 1000) + " s";
      break;
    case HttpFailure::resolve:
    case HttpFailure::connect:
      error = mentions_refused(result.error)
                  ? "cannot connect to " + where + ": connection refused (is the engine running with --http?)"
                  : "cannot connect to " + where + ": " + result.error + " (is the engine running with --http?)";
      break;
    case HttpFailure::tls:
      error = where + ": TLS: " + result.error;
      break;
    default:
      error = where + ": " + result.error;
  }
  return std::nullopt;
}

}  // namespace artery::cli
