// The admin API's routing table: every endpoint is registered here with the
// least role it needs and its OpenAPI description, so access control cannot
// be forgotten on one endpoint and `GET /api/openapi.json` is generated from
// the routes that really exist.
#pragma once
#include "admin/authenticator.hpp"
#include "admin/principal.hpp"

#include <artery/http_router.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace artery::admin {

using AdminHandler = std::function<HttpResponse(const HttpRequest& request, const Principal& who)>;

struct ApiParam {
  std::string name;
  std::string in = "query";  // "path" | "query"
  std::string type = "string";  // JSON Schema type: string | integer | boolean
  std::string description;
  bool required = false;
};

// One operation as OpenAPI 3 describes it. Schemas are JSON Schema text
// ("" = none), kept beside the handler so the description cannot drift.
struct ApiDoc {
  std::string summary;
  std::string tag;  // groups operations: "channels", "messages", "users", ...
  std::vector<ApiParam> params;
  std::string request_schema;
  std::string response_schema;
  std::string response_type = "application/json";
  std::vector<int> errors;  // statuses besides 200 the operation answers (401/403 are added for protected ones)
};

// Who may call a route: anyone, or a logged-in user with at least this role.
struct Access {
  std::optional<Role> minimum;  // nullopt: public
  static Access anyone() { return {}; }
  static Access at_least(Role role) { return {role}; }
};

struct RouteDescription {
  std::string method;
  std::string pattern;
  Access access;
  ApiDoc doc;
};

class AdminRoutes {
 public:
  AdminRoutes(HttpRouter& router, Authenticator& authenticator);

  // Registers `handler` behind the access check: no principal → 401, too
  // small a role → 403, a state-changing method (POST, PUT, PATCH, DELETE)
  // with a session cookie whose X-CSRF-Token header is missing or wrong →
  // 403. A handler's exception becomes a JSON 500 with its message.
  // Throws std::logic_error on a duplicate or malformed route (a bug).
  void add(std::string method, std::string pattern, Access access, AdminHandler handler, ApiDoc doc);

  const std::vector<RouteDescription>& routes() const noexcept { return routes_; }

  // Told of every 403 (a role too small, a missing CSRF token) of a known
  // user, for the audit log: an attempt refused is an action too.
  using RefusalListener = std::function<void(const HttpRequest&, const Principal&, const std::string& why)>;
  void on_refusal(RefusalListener listener) { on_refusal_ = std::move(listener); }

 private:
  HttpRouter& router_;
  Authenticator& authenticator_;
  std::vector<RouteDescription> routes_;
  RefusalListener on_refusal_;
};

// The shapes every endpoint answers with.
HttpResponse json_ok(std::string body);                            // 200 application/json
HttpResponse json_error(int status, std::string_view message);    // {"error": "..."}
bool is_state_changing(std::string_view method) noexcept;

}  // namespace artery::admin
