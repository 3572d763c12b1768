#include "admin/admin_routes.hpp"

#include <stdexcept>

namespace artery::admin {

std::string_view role_name(Role role) noexcept {
  switch (role) {
    case Role::viewer: return "viewer";
    case Role::operator_: return "operator";
    case Role::admin: return "admin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view name) noexcept {
  if (name == "viewer") return Role::viewer;
  if (name == "operator") return Role::operator_;
  if (name == "admin") return Role::admin;
  return std::nullopt;
}

HttpResponse json_ok(std::string body) { return HttpResponse::json(200, std::move(body)); }

HttpResponse json_error(int status, std::string_view message) { return HttpResponse::error(status, message); }

bool is_state_changing(std::string_view method) noexcept {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

AdminRoutes::AdminRoutes(HttpRouter& router, Authenticator& authenticator)
    : router_(router), authenticator_(authenticator) {}

void AdminRoutes::add(std::string method, std::string pattern, Access access, AdminHandler handler, ApiDoc doc) {
  auto guarded = [this, access, handler = std::move(handler)](const HttpRequest& request) -> HttpResponse {
    Principal who;
    if (access.minimum) {
      auto found = authenticator_.authenticate(request);
      if (!found) return json_error(401, "not logged in (log in, or send an API token as 'Authorization: Bearer')");
      auto refuse = [&](const std::string& why) {
        if (on_refusal_) on_refusal_(request, *found, request.method + " " + request.path + ": " + why);
        return json_error(403, why);
      };
      if (!allows(found->role, *access.minimum))
        return refuse("this needs the " + std::string(role_name(*access.minimum)) + " role; " + found->user +
                      " is " + std::string(role_name(found->role)));
      // A cookie is sent by the browser whatever page asked: a state change
      // must also prove it came from our console, which alone knows the token.
      if (found->via == Principal::Via::session && is_state_changing(request.method) &&
          request.headers.get("X-CSRF-Token") != found->csrf_token)
        return refuse("missing or wrong X-CSRF-Token header (cross-site request refused)");
      who = std::move(*found);
    } else if (auto found = authenticator_.authenticate(request)) {
      who = std::move(*found);  // public routes still know a logged-in caller
    }
    try {
      return handler(request, who);
    } catch (const std::exception& e) {
      return json_error(500, e.what());
    }
  };
  std::string error;
  if (!router_.add(method, pattern, std::move(guarded), &error))
    throw std::logic_error("admin route " + method + " " + pattern + ": " + error);
  routes_.push_back({std::move(method), std::move(pattern), access, std::move(doc)});
}

}  // namespace artery::admin
