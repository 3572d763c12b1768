// GET /api/session: who am I. The console asks on load, to know whether to
// show the login form and which CSRF token to send with its changes.
#include <boost/json.hpp>
#include <stdexcept>

#include "admin/account_store.hpp"
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/account_json.hpp"

namespace artery::admin {

void register_session(AdminRoutes& routes, AdminContext& context) {
  routes.add("GET", "/api/session", Access::at_least(Role::viewer),
             needs_accounts(context,
                            [&context](const HttpRequest&, const Principal& who) {
                              boost::json::object body;
                              body["user"] = who.user;
                              body["role"] = std::string(role_name(who.role));
                              body["via"] = who.via == Principal::Via::token ? "token" : "session";
                              body["csrf_token"] = who.csrf_token;  // "" for a token: it needs none
                              const auto idle = std::chrono::duration_cast<std::chrono::seconds>(
                                  context.accounts->session_lifetime().idle);
                              body["idle_timeout_s"] = idle.count();
                              HttpResponse response = json_ok(boost::json::serialize(body));
                              response.headers.set("Cache-Control", "no-store");
                              return response;
                            }),
             {"Who is logged in: user, role and the session's CSRF token",
              "session",
              {},
              "",
              R"({"type":"object","properties":{"user":{"type":"string"},"role":{"type":"string"},)"
              R"("via":{"type":"string","enum":["session","token"]},"csrf_token":{"type":"string"},)"
              R"("idle_timeout_s":{"type":"integer"}}})",
              "application/json",
              {}});
}

}  // namespace artery::admin
