// What the account endpoints (login, session, users, tokens) share: reading
// a JSON request body with errors a person can act on, the JSON shapes of a
// user and a token, and the status each AccountError kind answers.
#pragma once
#include <artery/http_message.hpp>
#include <map>
#include <optional>
#include <string>

#include "admin/account_store.hpp"
#include "admin/admin_routes.hpp"

namespace artery::admin {

struct AdminContext;

// A body of string, boolean or integer members, as the account endpoints take.
struct JsonFields {
  std::map<std::string, std::string> strings;
  std::map<std::string, bool> booleans;
  std::map<std::string, std::int64_t> integers;
  std::optional<std::string> string(const std::string& key) const;
};

// Reads `request.body` as a JSON object whose members are among `allowed`.
// nullopt with `error` set ("the body is not JSON: ...", "unknown member
// 'pasword'", "'role' must be a string") for a 400.
std::optional<JsonFields> read_json_fields(const HttpRequest& request, const std::vector<std::string>& allowed,
                                           std::string& error);

std::string user_json(const UserAccount& user);
std::string token_json(const ApiTokenInfo& token);
// 400 invalid, 404 not found, 409 conflict.
HttpResponse account_error_response(const AccountError& error);

// `handler` behind a check that the accounts are there: when the store could
// not be opened at start (logged then), the account endpoints answer 503
// instead of the server failing to start.
AdminHandler needs_accounts(AdminContext& context, AdminHandler handler);

}  // namespace artery::admin
