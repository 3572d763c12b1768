// /api/users: the admin manages users; anybody logged in may change his own
// password (proving the current one). Every change is audited.
#include <boost/json.hpp>
#include <stdexcept>

#include "admin/account_store.hpp"
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/account_json.hpp"
#include "admin/audit_trail.hpp"
#include "admin/session_authenticator.hpp"

namespace artery::admin {
namespace {

constexpr const char* kUserSchema =
    R"({"type":"object","properties":{"name":{"type":"string"},"role":{"type":"string",)"
    R"("enum":["viewer","operator","admin"]},"disabled":{"type":"boolean"},"created_ms":{"type":"integer"},)"
    R"("password_changed_ms":{"type":"integer"}}})";

HttpResponse list_users(AdminContext& context) {
  std::string body = "{\"users\":[";
  bool first = true;
  for (const auto& user : context.accounts->users()) {
    body += (first ? "" : ",") + user_json(user);
    first = false;
  }
  return json_ok(body + "]}");
}

HttpResponse add_user(const HttpRequest& request, const Principal& who, AdminContext& context) {
  std::string error;
  auto fields = read_json_fields(request, {"name", "role", "password"}, error);
  if (!fields) return json_error(400, error);
  auto name = fields->string("name");
  auto role_text = fields->string("role");
  auto password = fields->string("password");
  if (!name || !role_text || !password)
    return json_error(400, "a new user needs \"name\", \"role\" and \"password\" (strings)");
  auto role = parse_role(*role_text);
  if (!role) return json_error(400, "unknown role '" + *role_text + "' (viewer, operator or admin)");
  try {
    UserAccount added = context.accounts->add_user(*name, *role, *password);
    audit(context, request, who, {"user.add", "", 0, true, "added " + *name + " as " + *role_text});
    return HttpResponse::json(201, user_json(added));
  } catch (const AccountError& e) {
    audit(context, request, who, {"user.add", "", 0, false, *name + ": " + e.what()});
    return account_error_response(e);
  }
}

HttpResponse change_user(const HttpRequest& request, const Principal& who, AdminContext& context) {
  const std::string& name = request.param("name");
  std::string error;
  auto fields = read_json_fields(request, {"role", "password", "current_password", "disabled"}, error);
  if (!fields) return json_error(400, error);
  auto role_text = fields->string("role");
  auto password = fields->string("password");
  auto disabled = fields->booleans.find("disabled");
  const bool changes_disabled = disabled != fields->booleans.end();
  if (!role_text && !password && !changes_disabled)
    return json_error(400,
                      "nothing to change: send \"role\", \"password\" (with \"current_password\" for your own) "
                      "or \"disabled\"");
  const bool self = name == who.user;
  const bool admin = who.role == Role::admin;
  if (!admin && (!self || role_text || changes_disabled))
    return json_error(403, "only an admin changes other users, roles and access; you may change your own password");
  if (!context.accounts->user(name)) return json_error(404, "no user '" + name + "'");

  std::optional<Role> role;
  if (role_text) {
    role = parse_role(*role_text);
    if (!role) return json_error(400, "unknown role '" + *role_text + "' (viewer, operator or admin)");
  }
  if (password) {
    if (auto problem = AccountStore::password_problem(*password); !problem.empty()) return json_error(400, problem);
    // Changing one's own password proves the current one, so a session left
    // open on a shared screen cannot be turned into a lasting takeover.
    if (self) {
      auto current = fields->string("current_password");
      if (!current) return json_error(400, "changing your own password needs \"current_password\"");
      if (!context.accounts->check_password(name, *current)) {
        audit(context, request, who, {"user.password", "", 0, false, name + ": the current password is wrong"});
        return json_error(403, "the current password is wrong");
      }
    }
  }

  std::string done;
  std::size_t revoked = 0;
  try {
    if (role) {
      context.accounts->set_role(name, *role);
      done += "role " + *role_text;
    }
    if (changes_disabled) {
      context.accounts->set_disabled(name, disabled->second);
      done += std::string(done.empty() ? "" : ", ") + (disabled->second ? "disabled" : "enabled");
    }
    if (password) {
      revoked = context.accounts->set_password(name, *password);
      done +=
          std::string(done.empty() ? "" : ", ") + "password changed (" + std::to_string(revoked) + " sessions ended)";
    }
  } catch (const AccountError& e) {
    audit(context, request, who, {"user.change", "", 0, false, name + ": " + e.what()});
    return account_error_response(e);
  }
  audit(context, request, who,
        {password && !role && !changes_disabled ? "user.password" : "user.change", "", 0, true, name + ": " + done});
  auto account = context.accounts->user(name);
  if (!account) return json_error(404, "no user '" + name + "'");
  std::string body = user_json(*account);
  body.pop_back();
  body += ",\"sessions_ended\":" + std::to_string(revoked) + "}";
  HttpResponse response = json_ok(std::move(body));
  // His own session ended with the old password: the browser drops the cookie.
  if (password && self && who.via == Principal::Via::session)
    response.headers.add("Set-Cookie", std::string(kSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" +
                                           (request.tls ? "; Secure" : ""));
  return response;
}

HttpResponse remove_user(const HttpRequest& request, const Principal& who, AdminContext& context) {
  const std::string& name = request.param("name");
  try {
    context.accounts->remove_user(name);
  } catch (const AccountError& e) {
    audit(context, request, who, {"user.remove", "", 0, false, name + ": " + e.what()});
    return account_error_response(e);
  }
  audit(context, request, who, {"user.remove", "", 0, true, "removed " + name});
  return json_ok("{\"removed\":" + json_quote(name) + "}");
}

}  // namespace

void register_users(AdminRoutes& routes, AdminContext& context) {
  const ApiParam name_param{"name", "path", "string", "the user's name", true};

  routes.add("GET", "/api/users", Access::at_least(Role::admin),
             needs_accounts(context, [&context](const HttpRequest&, const Principal&) { return list_users(context); }),
             {"List the users",
              "users",
              {},
              "",
              std::string(R"({"type":"object","properties":{"users":{"type":"array","items":)") + kUserSchema + "}}}",
              "application/json",
              {}});

  routes.add(
      "POST", "/api/users", Access::at_least(Role::admin),
      needs_accounts(context, [&context](const HttpRequest& request,
                                         const Principal& who) { return add_user(request, who, context); }),
      {"Add a user (password: at least 12 characters)",
       "users",
       {},
       R"({"type":"object","required":["name","role","password"],"properties":{"name":{"type":"string"},)"
       R"("role":{"type":"string","enum":["viewer","operator","admin"]},"password":{"type":"string","minLength":12}}})",
       kUserSchema,
       "application/json",
       {400, 409}});

  routes.add("PUT", "/api/users/{name}", Access::at_least(Role::viewer),
             needs_accounts(context, [&context](const HttpRequest& request,
                                                const Principal& who) { return change_user(request, who, context); }),
             {"Change a user's role, password or access (admin), or your own password (with current_password); "
              "a password change ends the user's sessions",
              "users",
              {name_param},
              R"({"type":"object","properties":{"role":{"type":"string","enum":["viewer","operator","admin"]},)"
              R"("password":{"type":"string","minLength":12},"current_password":{"type":"string"},)"
              R"("disabled":{"type":"boolean"}}})",
              kUserSchema,
              "application/json",
              {400, 404, 409}});

  routes.add("DELETE", "/api/users/{name}", Access::at_least(Role::admin),
             needs_accounts(context, [&context](const HttpRequest& request,
                                                const Principal& who) { return remove_user(request, who, context); }),
             {"Remove a user with his sessions and tokens (never the last admin)",
              "users",
              {name_param},
              "",
              R"({"type":"object","properties":{"removed":{"type":"string"}}})",
              "application/json",
              {404, 409}});
}

}  // namespace artery::admin
