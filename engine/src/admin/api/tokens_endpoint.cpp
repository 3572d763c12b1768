// /api/tokens: API tokens for scripts and the command line. A user sees and
// revokes his own; an admin sees and revokes everybody's. The token's text is
// in the creation answer only: the store keeps its digest.
#include <boost/json.hpp>
#include <stdexcept>

#include "admin/account_store.hpp"
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/account_json.hpp"
#include "admin/audit_trail.hpp"

namespace artery::admin {
namespace {

constexpr std::int64_t kLongestLifetimeSeconds = 10LL * 366 * 24 * 3600;

HttpResponse list_tokens(const HttpRequest& request, const Principal& who, AdminContext& context) {
  std::string user = who.user;
  if (who.role == Role::admin) user = request.query_param("user").value_or("");  // "" = all
  std::string body = "{\"tokens\":[";
  bool first = true;
  for (const auto& token : context.accounts->tokens(user)) {
    body += (first ? "" : ",") + token_json(token);
    first = false;
  }
  return json_ok(body + "]}");
}

HttpResponse create_token(const HttpRequest& request, const Principal& who, AdminContext& context) {
  std::string error;
  auto fields = read_json_fields(request, {"name", "user", "expires_in_s"}, error);
  if (!fields) return json_error(400, error);
  auto name = fields->string("name");
  if (!name) return json_error(400, "a token needs a \"name\" (what it is for)");
  std::string user = fields->string("user").value_or(who.user);
  if (user != who.user && who.role != Role::admin)
    return json_error(403, "only an admin creates tokens for other users");
  std::int64_t lifetime_s = 0;
  if (auto it = fields->integers.find("expires_in_s"); it != fields->integers.end()) {
    lifetime_s = it->second;
    if (lifetime_s < 1 || lifetime_s > kLongestLifetimeSeconds)
      return json_error(400, "\"expires_in_s\" must be between 1 and " + std::to_string(kLongestLifetimeSeconds) +
                                 " seconds (leave it out for a token that does not expire)");
  }
  try {
    CreatedApiToken created = context.accounts->create_token(user, *name, std::chrono::seconds(lifetime_s));
    audit(context, request, who,
          {"token.create", "", 0, true, "token " + created.info.id + " (" + *name + ") for " + user});
    std::string body = token_json(created.info);
    body.pop_back();
    body += ",\"token\":" + json_quote(created.secret) + "}";
    HttpResponse response = HttpResponse::json(201, std::move(body));
    response.headers.set("Cache-Control", "no-store");
    return response;
  } catch (const AccountError& e) {
    audit(context, request, who, {"token.create", "", 0, false, e.what()});
    return account_error_response(e);
  }
}

HttpResponse revoke_token(const HttpRequest& request, const Principal& who, AdminContext& context) {
  const std::string& id = request.param("id");
  auto token = context.accounts->token(id);
  // Somebody else's token is "not found" to a non-admin: ids are not to be probed.
  if (!token || (token->user != who.user && who.role != Role::admin)) return json_error(404, "no token '" + id + "'");
  context.accounts->revoke_token(id);
  audit(context, request, who,
        {"token.revoke", "", 0, true, "token " + id + " (" + token->name + ") of " + token->user});
  return json_ok("{\"revoked\":" + json_quote(id) + "}");
}

}  // namespace

void register_tokens(AdminRoutes& routes, AdminContext& context) {
  const std::string token_schema =
      R"({"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"},"user":{"type":"string"},)"
      R"("role":{"type":"string"},"created_ms":{"type":"integer"},"last_used_ms":{"type":"integer"},)"
      R"("expires_ms":{"type":"integer","description":"0: does not expire"}}})";

  routes.add("GET", "/api/tokens", Access::at_least(Role::viewer),
             needs_accounts(context, [&context](const HttpRequest& request,
                                                const Principal& who) { return list_tokens(request, who, context); }),
             {"List API tokens: your own (an admin sees everybody's, or one user's with ?user=)",
              "tokens",
              {{"user", "query", "string", "admin only: one user's tokens", false}},
              "",
              R"({"type":"object","properties":{"tokens":{"type":"array","items":)" + token_schema + "}}}",
              "application/json",
              {}});

  routes.add("POST", "/api/tokens", Access::at_least(Role::viewer),
             needs_accounts(context, [&context](const HttpRequest& request,
                                                const Principal& who) { return create_token(request, who, context); }),
             {"Create an API token (send it as 'Authorization: Bearer <token>'); its text is shown in this answer only",
              "tokens",
              {},
              R"({"type":"object","required":["name"],"properties":{"name":{"type":"string"},)"
              R"("user":{"type":"string","description":"admin only: another user's token"},)"
              R"("expires_in_s":{"type":"integer","minimum":1}}})",
              R"({"type":"object","properties":{"id":{"type":"string"},"token":{"type":"string"},)"
              R"("name":{"type":"string"},"user":{"type":"string"},"expires_ms":{"type":"integer"}}})",
              "application/json",
              {400, 404}});

  routes.add("DELETE", "/api/tokens/{id}", Access::at_least(Role::viewer),
             needs_accounts(context, [&context](const HttpRequest& request,
                                                const Principal& who) { return revoke_token(request, who, context); }),
             {"Revoke an API token (your own; an admin any)",
              "tokens",
              {{"id", "path", "string", "the token's id", true}},
              "",
              R"({"type":"object","properties":{"revoked":{"type":"string"}}})",
              "application/json",
              {404}});
}

}  // namespace artery::admin
