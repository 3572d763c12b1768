// Requests to one FHIR server with the configured authentication: the
// Authorization header from the AccessTokenSource, and on a 401 to an
// OAuth2 token one fresh token and one more try (a token revoked or expired
// early is the usual cause; a second 401 is the server's answer).
#pragma once
#include "client/access_token_source.hpp"
#include "client/client_settings.hpp"

#include <artery/http_client.hpp>

#include <string>

namespace artery::fhir {

struct AuthorizedResult {
  HttpClientResult http;
  std::string auth_error;  // set when no token could be had (then http is empty)
};

class AuthorizedClient {
 public:
  explicit AuthorizedClient(const ClientSettings& settings);
  AuthorizedResult request(HttpClientRequest request);
  void cancel();
  void reset_cancel();
  const ClientSettings& settings() const { return settings_; }

 private:
  ClientSettings settings_;
  HttpClient http_;
  AccessTokenSource tokens_;
};

}  // namespace artery::fhir
