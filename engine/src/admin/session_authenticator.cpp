#include "admin/session_authenticator.hpp"

#include "admin/account_store.hpp"
#include "log/logger.hpp"

namespace artery::admin {
namespace {

// "Bearer <token>": the scheme is case-insensitive (RFC 9110 11.1).
std::optional<std::string> bearer_token(const HttpRequest& request) {
  const std::string* header = request.headers.find("Authorization");
  if (!header) return std::nullopt;
  std::string_view value = *header;
  constexpr std::string_view scheme = "bearer ";
  if (value.size() <= scheme.size()) return std::string();
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i])) != scheme[i]) return std::string();
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return std::string(value);
}

}  // namespace

std::optional<Principal> SessionAuthenticator::authenticate(const HttpRequest& request) {
  try {
    if (auto token = bearer_token(request)) {
      auto found = accounts_.use_token(*token);
      if (!found) return std::nullopt;
      return Principal{found->user, found->role, Principal::Via::token, found->id, ""};
    }
    auto cookie = request.cookie(kSessionCookie);
    if (!cookie) return std::nullopt;
    auto session = accounts_.use_session(*cookie);
    if (!session) return std::nullopt;
    return Principal{session->user, session->role, Principal::Via::session, session->id, session->csrf_token};
  } catch (const std::exception& e) {
    // The database is busy or broken: refuse (401) rather than guess.
    logger::error("admin", std::string("cannot check a login: ") + e.what());
    return std::nullopt;
  }
}

}  // namespace artery::admin
