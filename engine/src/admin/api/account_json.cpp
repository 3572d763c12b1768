#include "admin/api/account_json.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "admin/admin_context.hpp"

namespace artery::admin {

std::optional<std::string> JsonFields::string(const std::string& key) const {
  auto it = strings.find(key);
  if (it == strings.end()) return std::nullopt;
  return it->second;
}

std::optional<JsonFields> read_json_fields(const HttpRequest& request, const std::vector<std::string>& allowed,
                                           std::string& error) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec) {
    error = request.body.empty() ? "the request needs a JSON body" : "the body is not JSON: " + ec.message();
    return std::nullopt;
  }
  if (!value.is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  JsonFields fields;
  for (const auto& member : value.as_object()) {
    const std::string key(member.key());
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string names;
      for (const auto& name : allowed) names += (names.empty() ? "" : ", ") + name;
      error = "unknown member '" + key + "' (this request takes: " + names + ")";
      return std::nullopt;
    }
    const auto& v = member.value();
    if (v.is_string())
      fields.strings[key] = std::string(v.as_string());
    else if (v.is_bool())
      fields.booleans[key] = v.as_bool();
    else if (v.is_int64())
      fields.integers[key] = v.as_int64();
    else if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
      fields.integers[key] = static_cast<std::int64_t>(v.as_uint64());
    else if (!v.is_null()) {
      error = "'" + key + "' must be a string, a boolean or an integer";
      return std::nullopt;
    }
  }
  return fields;
}

std::string user_json(const UserAccount& user) {
  boost::json::object o;
  o["name"] = user.name;
  o["role"] = std::string(role_name(user.role));
  o["disabled"] = user.disabled;
  o["created_ms"] = user.created_ms;
  o["password_changed_ms"] = user.password_changed_ms;
  return boost::json::serialize(o);
}

std::string token_json(const ApiTokenInfo& token) {
  boost::json::object o;
  o["id"] = token.id;
  o["name"] = token.name;
  o["user"] = token.user;
  o["role"] = std::string(role_name(token.role));
  o["created_ms"] = token.created_ms;
  o["last_used_ms"] = token.last_used_ms;
  o["expires_ms"] = token.expires_ms;
  return boost::json::serialize(o);
}

HttpResponse account_error_response(const AccountError& error) {
  switch (error.kind()) {
    case AccountError::Kind::invalid: return HttpResponse::error(400, error.what());
    case AccountError::Kind::not_found: return HttpResponse::error(404, error.what());
    case AccountError::Kind::conflict: return HttpResponse::error(409, error.what());
  }
  return HttpResponse::error(400, error.what());
}

AdminHandler needs_accounts(AdminContext& context, AdminHandler handler) {
  return [&context, handler = std::move(handler)](const HttpRequest& request, const Principal& who) {
    if (!context.accounts)
      return json_error(503, "the user accounts could not be opened at start (see the engine's log)");
    return handler(request, who);
  };
}

}  // namespace artery::admin
