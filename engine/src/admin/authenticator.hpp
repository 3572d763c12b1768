// Finds the principal behind a request. The admin routes ask it before every
// handler; the login endpoints are what creates sessions in the first place.
#pragma once
#include "admin/principal.hpp"

#include <artery/http_message.hpp>

#include <optional>

namespace artery::admin {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // From the session cookie (`artery_session`) or an `Authorization: Bearer`
  // API token. nullopt: not logged in (expired, revoked or unknown); the
  // route answers 401. Called from several handler threads at once.
  virtual std::optional<Principal> authenticate(const HttpRequest& request) = 0;
};

}  // namespace artery::admin
