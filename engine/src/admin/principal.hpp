// Who is asking: the user behind a request's session cookie or API token, and
// what their role lets them do.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace artery::admin {

// Ordered: each role can do everything the roles before it can.
//   viewer   — channel states and counters, plugins, health; no message content
//   operator — also start/stop/pause/resume/redeploy, reprocess, message content
//   admin    — also users, tokens and everything else
enum class Role { viewer = 0, operator_ = 1, admin = 2 };

std::string_view role_name(Role role) noexcept;  // "viewer", "operator", "admin"
std::optional<Role> parse_role(std::string_view name) noexcept;
inline bool allows(Role have, Role need) noexcept { return static_cast<int>(have) >= static_cast<int>(need); }

struct Principal {
  enum class Via { session, token, anonymous };
  std::string user;  // "" for anonymous (an open /metrics)
  Role role = Role::viewer;
  Via via = Via::anonymous;
  std::string session_id;  // the session (Via::session) or token id (Via::token), for logout and audit
  // A session's CSRF token: state-changing requests made with the session
  // cookie must repeat it in the X-CSRF-Token header. Empty for tokens.
  std::string csrf_token;
};

}  // namespace artery::admin
