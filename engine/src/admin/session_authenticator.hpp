// The admin API's Authenticator: a login session's cookie, or an API token
// in `Authorization: Bearer`, looked up in the AccountStore.
#pragma once
#include "admin/authenticator.hpp"

#include <string_view>

namespace artery::admin {

class AccountStore;

inline constexpr std::string_view kSessionCookie = "artery_session";

class SessionAuthenticator : public Authenticator {
 public:
  explicit SessionAuthenticator(AccountStore& accounts) : accounts_(accounts) {}

  // A Bearer token, when sent, decides alone (a script's token is not
  // overridden by a stale cookie, nor the other way round); otherwise the
  // session cookie. Thread-safe.
  std::optional<Principal> authenticate(const HttpRequest& request) override;

 private:
  AccountStore& accounts_;
};

}  // namespace artery::admin
