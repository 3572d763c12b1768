// The Authorization header a FHIR client sends, for every auth.type:
// nothing, a fixed bearer token, basic credentials, or an OAuth2 access
// token got with client_credentials — with a client secret (HTTP basic to
// the token endpoint), or with a SMART Backend Services client assertion.
//
// Access tokens are opaque: kept as given, until 60 s before expires_in
// (half the lifetime for very short ones), or until the server refuses one
// with a 401 (invalidate()). The token endpoint is auth.token_url, or the
// token_endpoint of <url>/.well-known/smart-configuration, asked once.
// Not thread-safe: one connector thread uses it (cancel() excepted).
#pragma once
#include "client/client_settings.hpp"

#include <artery/http_client.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace artery::fhir {

class ClientAssertionSigner;

class AccessTokenSource {
 public:
  // Throws std::runtime_error for a private key that cannot sign.
  explicit AccessTokenSource(const ClientSettings& settings);
  ~AccessTokenSource();

  // The header's value ("Bearer ...", "Basic ..."), "" for auth.type none;
  // nullopt with `error` when no token could be had (the token endpoint
  // refused, or is unreachable: try again later).
  std::optional<std::string> authorization(std::string& error);
  // The server refused the token: drop it. True when a new one may differ
  // (an OAuth2 token); false for fixed credentials.
  bool invalidate();
  // For stop(): cuts a token request in progress.
  void cancel();
  void reset_cancel();

 private:
  std::optional<std::string> token_endpoint(std::string& error);
  std::optional<std::string> request_token(std::string& error);

  const ClientSettings& settings_;
  HttpClient http_;
  std::unique_ptr<ClientAssertionSigner> signer_;
  std::string discovered_token_url_;
  std::string access_token_;
  std::chrono::steady_clock::time_point expires_{};
};

}  // namespace artery::fhir
