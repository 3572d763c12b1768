// POST /api/login and POST /api/logout: the only way a session starts or
// ends from the network. Every attempt is audited, ok or not, with the
// address; repeated failures are throttled before any password is hashed.
#include <boost/json.hpp>
#include <memory>
#include <stdexcept>

#include "admin/account_store.hpp"
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/account_json.hpp"
#include "admin/audit_trail.hpp"
#include "admin/login_throttle.hpp"
#include "admin/session_authenticator.hpp"

namespace artery::admin {
namespace {

// One message for an unknown user and a wrong password: the answer must not
// tell a guesser which user names exist.
constexpr std::string_view kBadCredentials = "wrong user name or password";

std::string session_cookie(const HttpRequest& request, std::string_view value, std::int64_t max_age_seconds) {
  // HttpOnly: scripts (an injected one) cannot read it. SameSite=Strict: the
  // browser does not send it with requests other sites start. Secure over
  // TLS, so it never travels in clear once the console is served with TLS.
  std::string cookie = std::string(kSessionCookie) + "=" + std::string(value) +
                       "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(max_age_seconds);
  if (request.tls) cookie += "; Secure";
  return cookie;
}

HttpResponse login(const HttpRequest& request, AdminContext& context, LoginThrottle& throttle) {
  std::string error;
  auto fields = read_json_fields(request, {"user", "password"}, error);
  if (!fields) return json_error(400, error);
  auto user = fields->string("user");
  auto password = fields->string("password");
  if (!user || user->empty() || !password) return json_error(400, "a login needs \"user\" and \"password\" (strings)");

  Principal tried;  // the audit names the user tried, logged in or not
  tried.user = *user;
  if (auto wait = throttle.retry_after(*user, request.peer_address); wait.count() > 0) {
    audit(context, request, tried,
          {"login_failed", "", 0, false,
           "throttled: too many failed logins; retry after " + std::to_string(wait.count()) + " s"});
    HttpResponse refused =
        json_error(429, "too many failed logins; try again in " + std::to_string(wait.count()) + " seconds");
    refused.headers.set("Retry-After", std::to_string(wait.count()));
    return refused;
  }
  auto account = context.accounts->check_password(*user, *password);
  if (!account) {
    throttle.record_failure(*user, request.peer_address);
    audit(context, request, tried, {"login_failed", "", 0, false, std::string(kBadCredentials)});
    return json_error(401, kBadCredentials);
  }
  throttle.record_success(*user);
  OpenedSession session = context.accounts->open_session(account->name);
  Principal who{account->name, account->role, Principal::Via::session, session.info.id, session.info.csrf_token};
  audit(context, request, who, {"login", "", 0, true, "session " + session.info.id});

  boost::json::object body;
  body["user"] = account->name;
  body["role"] = std::string(role_name(account->role));
  body["csrf_token"] = session.info.csrf_token;
  body["expires_ms"] = session.info.expires_ms;
  HttpResponse response = json_ok(boost::json::serialize(body));
  const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(context.accounts->session_lifetime().absolute);
  response.headers.add("Set-Cookie", session_cookie(request, session.secret, max_age.count()));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

HttpResponse logout(const HttpRequest& request, const Principal& who, AdminContext& context) {
  if (who.via != Principal::Via::session)
    return json_error(400, "an API token has no session to log out of; revoke it with DELETE /api/tokens/{id}");
  context.accounts->close_session(who.session_id);
  audit(context, request, who, {"logout", "", 0, true, "session " + who.session_id});
  HttpResponse response = json_ok("{\"logged_out\":true}");
  response.headers.add("Set-Cookie", session_cookie(request, "", 0));  // the browser forgets it
  return response;
}

}  // namespace

void register_login(AdminRoutes& routes, AdminContext& context) {
  // Owned by the routes' handlers: one throttle for the life of the server.
  auto throttle = std::make_shared<LoginThrottle>();

  routes.add(
      "POST", "/api/login", Access::anyone(),
      needs_accounts(context, [&context, throttle](const HttpRequest& request,
                                                   const Principal&) { return login(request, context, *throttle); }),
      {"Log in: starts a session (cookie artery_session) and returns its CSRF token",
       "session",
       {},
       R"({"type":"object","required":["user","password"],"properties":{"user":{"type":"string"},)"
       R"("password":{"type":"string"}}})",
       R"({"type":"object","properties":{"user":{"type":"string"},"role":{"type":"string",)"
       R"("enum":["viewer","operator","admin"]},"csrf_token":{"type":"string"},"expires_ms":{"type":"integer"}}})",
       "application/json",
       {400, 401, 429}});

  routes.add("POST", "/api/logout", Access::at_least(Role::viewer),
             needs_accounts(context, [&context](const HttpRequest& request,
                                                const Principal& who) { return logout(request, who, context); }),
             {"Log out: ends the caller's session",
              "session",
              {},
              "",
              R"({"type":"object","properties":{"logged_out":{"type":"boolean"}}})",
              "application/json",
              {400}});
}

}  // namespace artery::admin
