#include "client/access_token_source.hpp"

#include "base64url.hpp"
#include "client/client_assertion.hpp"

#include <boost/json.hpp>

namespace artery::fhir {
namespace {

bool oauth(const AuthSettings& auth) {
  return auth.type == AuthSettings::Type::client_credentials || auth.type == AuthSettings::Type::smart_backend;
}

std::string excerpt(const std::string& body) { return body.size() > 300 ? body.substr(0, 300) + "..." : body; }

// An OAuth2 error answer in words: "invalid_client: bad signature".
std::string oauth_error(const HttpClientResponse& response) {
  std::string out = "answered " + std::to_string(response.status);
  boost::system::error_code ec;
  auto value = boost::json::parse(response.body, ec);
  if (!ec && value.is_object()) {
    const auto& object = value.get_object();
    if (auto* e = object.if_contains("error"); e && e->is_string()) out += ": " + std::string(e->get_string());
    if (auto* d = object.if_contains("error_description"); d && d->is_string())
      out += " (" + std::string(d->get_string()) + ")";
    return out;
  }
  return response.body.empty() ? out : out + ": " + excerpt(response.body);
}

}  // namespace

AccessTokenSource::AccessTokenSource(const ClientSettings& settings) : settings_(settings), http_(settings.http) {
  if (settings.auth.type == AuthSettings::Type::smart_backend)
    signer_ = std::make_unique<ClientAssertionSigner>(settings.auth.private_key_pem, settings.auth.algorithm,
                                                      settings.auth.kid);
}

AccessTokenSource::~AccessTokenSource() = default;

void AccessTokenSource::cancel() { http_.cancel(); }
void AccessTokenSource::reset_cancel() { http_.reset_cancel(); }

bool AccessTokenSource::invalidate() {
  if (!oauth(settings_.auth)) return false;
  access_token_.clear();
  return true;
}

std::optional<std::string> AccessTokenSource::authorization(std::string& error) {
  const auto& auth = settings_.auth;
  switch (auth.type) {
    case AuthSettings::Type::none: return std::string();
    case AuthSettings::Type::bearer: return "Bearer " + auth.token;
    case AuthSettings::Type::basic: return "Basic " + base64_encode(auth.username + ":" + auth.password);
    default: break;
  }
  if (access_token_.empty() || std::chrono::steady_clock::now() >= expires_) {
    access_token_.clear();
    auto token = request_token(error);
    if (!token) return std::nullopt;
  }
  return "Bearer " + access_token_;
}

std::optional<std::string> AccessTokenSource::token_endpoint(std::string& error) {
  if (!settings_.auth.token_url.empty()) return settings_.auth.token_url;
  if (!discovered_token_url_.empty()) return discovered_token_url_;
  const std::string url = settings_.base_url + "/.well-known/smart-configuration";
  auto result = http_.request({"GET", url, {{"Accept", "application/json"}}, {}});
  if (!result.response) {
    error = "discovering the token endpoint: " + result.error;
    return std::nullopt;
  }
  if (result.response->status != 200) {
    error = url + " " + oauth_error(*result.response) + " (set auth.token_url)";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(result.response->body, ec);
  const boost::json::value* endpoint = nullptr;
  if (!ec && value.is_object()) endpoint = value.get_object().if_contains("token_endpoint");
  if (!endpoint || !endpoint->is_string() || endpoint->get_string().empty()) {
    error = url + " has no token_endpoint (set auth.token_url)";
    return std::nullopt;
  }
  std::string problem;
  if (!HttpUrl::parse(endpoint->get_string(), problem)) {
    error = url + ": token_endpoint: " + problem;
    return std::nullopt;
  }
  discovered_token_url_ = std::string(endpoint->get_string());
  return discovered_token_url_;
}

std::optional<std::string> AccessTokenSource::request_token(std::string& error) {
  const auto& auth = settings_.auth;
  auto endpoint = token_endpoint(error);
  if (!endpoint) return std::nullopt;
  HttpClientRequest request{"POST", *endpoint, {{"Content-Type", "application/x-www-form-urlencoded"},
                                                {"Accept", "application/json"}}, {}};
  std::string form = "grant_type=client_credentials";
  if (!auth.scope.empty()) form += "&scope=" + url_encode(auth.scope);
  if (auth.type == AuthSettings::Type::smart_backend) {
    try {
      form += "&client_assertion_type=" + url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
              "&client_assertion=" + url_encode(signer_->sign(auth.client_id, *endpoint));
    } catch (const std::exception& e) {
      error = e.what();
      return std::nullopt;
    }
  } else {
    // client_secret_basic, which RFC 6749 2.3.1 obliges every server to accept.
    request.headers.emplace_back(
        "Authorization", "Basic " + base64_encode(url_encode(auth.client_id) + ":" + url_encode(auth.client_secret)));
  }
  request.body = std::move(form);
  auto result = http_.request(request);
  if (!result.response) {
    error = "token endpoint: " + result.error;
    return std::nullopt;
  }
  if (result.response->status != 200) {
    error = "token endpoint " + *endpoint + " " + oauth_error(*result.response);
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(result.response->body, ec);
  const boost::json::value* token = nullptr;
  if (!ec && value.is_object()) token = value.get_object().if_contains("access_token");
  if (!token || !token->is_string() || token->get_string().empty()) {
    error = "token endpoint " + *endpoint + " answered without an access_token";
    return std::nullopt;
  }
  access_token_ = std::string(token->get_string());
  // No expires_in: kept until the server refuses it.
  std::chrono::seconds lifetime = std::chrono::hours(24 * 365);
  if (const auto* expires = value.get_object().if_contains("expires_in")) {
    std::int64_t seconds = -1;
    if (expires->is_int64()) seconds = expires->get_int64();
    else if (expires->is_uint64()) seconds = static_cast<std::int64_t>(expires->get_uint64());
    else if (expires->is_double()) seconds = static_cast<std::int64_t>(expires->get_double());
    else if (expires->is_string()) seconds = std::atoll(expires->get_string().c_str());
    if (seconds >= 0) lifetime = std::chrono::seconds(seconds > 120 ? seconds - 60 : seconds / 2);
  }
  expires_ = std::chrono::steady_clock::now() + lifetime;
  return access_token_;
}

}  // namespace artery::fhir
