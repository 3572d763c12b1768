// The `consent` module: consent.permits{server=, patient=, category=, at=, ...}
// -> true or false, and the reason. The same lookup (cached per server, one
// cache for every script state) and the same FHIR R4 Consent evaluation as a
// channel's `consent:` filter (engine/src/consent/).
//
// A lookup that fails answers false and the reason (fail closed) unless
// on_error = "allow"; a bad argument is a Lua error.
#include "lua/modules.hpp"

#include "clock/unix_time.hpp"
#include "consent/consent_decision.hpp"
#include "consent/consent_servers.hpp"
#include "consent/consent_time.hpp"

#include <artery/options.hpp>

#include <stdexcept>
#include <string>

namespace artery::lua {
namespace {

// t[key] without metamethods: nothing here may raise a Lua error (a longjmp)
// while C++ strings are alive; bad arguments are thrown, and `guarded` turns
// them into Lua errors after they are destroyed.
int raw_field(lua_State* L, int table, const char* key) {
  table = lua_absindex(L, table);
  lua_pushstring(L, key);
  return lua_rawget(L, table);
}

// A string field of the argument table; "" when absent.
std::string string_field(lua_State* L, const char* key) {
  std::string out;
  int type = raw_field(L, 1, key);
  if (type == LUA_TSTRING) {
    std::size_t size = 0;
    const char* data = lua_tolstring(L, -1, &size);
    out.assign(data, size);
  } else if (type != LUA_TNIL) {
    lua_pop(L, 1);
    throw std::runtime_error(std::string("consent.permits: '") + key + "' must be a string");
  }
  lua_pop(L, 1);
  return out;
}

int consent_permits(lua_State* L) {
  if (lua_type(L, 1) != LUA_TTABLE)
    throw std::runtime_error("consent.permits: expected a table {server = ..., patient = ..., ...}");
  consent::ConsentServer server;
  std::string written = string_field(L, "server");
  if (written.empty()) throw std::runtime_error("consent.permits: 'server' is required (a base URL or a FHIR channel)");
  if (written.rfind("http://", 0) == 0 || written.rfind("https://", 0) == 0) {
    server.base_url = written;
  } else if (auto url = consent::local_listener_url(written)) {
    server.base_url = *url;
  } else {
    throw std::runtime_error("consent.permits: server '" + written +
                             "' is neither an http(s) URL nor a channel with a FHIR listener");
  }
  std::string patient = string_field(L, "patient");
  if (patient.empty()) throw std::runtime_error("consent.permits: 'patient' is required");

  consent::ConsentQuestion question;
  question.category = string_field(L, "category");
  question.scope = string_field(L, "scope");
  question.purpose = string_field(L, "purpose");
  question.action = string_field(L, "action");
  question.actor = string_field(L, "actor");
  question.data_class = string_field(L, "class");
  const std::string rule = string_field(L, "default");
  if (!rule.empty() && rule != "deny" && rule != "permit")
    throw std::runtime_error("consent.permits: 'default' is deny or permit, got '" + rule + "'");
  const std::string on_error = string_field(L, "on_error");
  if (!on_error.empty() && on_error != "deny" && on_error != "allow")
    throw std::runtime_error("consent.permits: 'on_error' is deny or allow, got '" + on_error + "'");
  const std::string identifier_system = string_field(L, "identifier_system");

  // at: a FHIR or HL7 time string, or seconds since the epoch (os.time()); default now.
  question.at_ms = unix_time_ms();
  int at_type = raw_field(L, 1, "at");
  if (at_type == LUA_TNUMBER) {
    question.at_ms = static_cast<std::int64_t>(lua_tonumber(L, -1) * 1000.0);
  } else if (at_type == LUA_TSTRING) {
    std::string text = lua_tostring(L, -1);
    auto span = consent::parse_any_time(text);
    if (!span) {
      lua_pop(L, 1);
      throw std::runtime_error("consent.permits: 'at' is not a FHIR or HL7 time: " + text);
    }
    question.at_ms = span->low;
  } else if (at_type != LUA_TNIL) {
    lua_pop(L, 1);
    throw std::runtime_error("consent.permits: 'at' must be a time string or os.time() seconds");
  }
  lua_pop(L, 1);

  std::chrono::milliseconds ttl{30'000};
  if (std::string text = string_field(L, "cache_ttl"); !text.empty()) {
    auto parsed = parse_duration(text);
    if (!parsed) throw std::runtime_error("consent.permits: 'cache_ttl' is not a duration: " + text);
    ttl = *parsed;
  }
  if (raw_field(L, 1, "auth") == LUA_TTABLE) {
    raw_field(L, -1, "type");
    raw_field(L, -2, "token");
    raw_field(L, -3, "username");
    raw_field(L, -4, "password");
    auto text = [&](int index) { return lua_type(L, index) == LUA_TSTRING ? std::string(lua_tostring(L, index)) : std::string(); };
    server.auth_type = text(-4).empty() ? "none" : text(-4);
    server.token = text(-3);
    server.username = text(-2);
    server.password = text(-1);
    lua_pop(L, 4);
  }
  lua_pop(L, 1);
  if (server.auth_type != "none" && server.auth_type != "bearer" && server.auth_type != "basic")
    throw std::runtime_error("consent.permits: auth.type is none, bearer or basic, got '" + server.auth_type + "'");

  consent::PatientKey key;
  key.value = patient;
  key.is_identifier = patient.find("Patient/") == std::string::npos;
  if (key.is_identifier && !identifier_system.empty() && patient.find('|') == std::string::npos)
    key.value = identifier_system + "|" + patient;

  auto lookup = consent::shared_lookup(server, ttl);
  consent::ConsentLookupResult found = lookup->find(key, question.category);
  bool permitted = false;
  std::string reason;
  if (!found.ok) {
    permitted = on_error == "allow";
    reason = "consent lookup failed (on_error: " + std::string(permitted ? "allow" : "deny") + "): " + found.error;
  } else if (found.patients.empty()) {
    permitted = rule == "permit";
    reason = "no Patient with identifier " + key.value + ": default " + (permitted ? "permit" : "deny");
  } else {
    for (const auto& p : found.patients) question.patient += (question.patient.empty() ? "" : ",") + p;
    consent::ConsentDecision decision = consent::decide(found.consents, question, rule == "permit");
    permitted = decision.permitted;
    reason = std::move(decision.reason);
  }
  lua_pushboolean(L, permitted ? 1 : 0);
  push_string(L, reason);
  return 2;
}

}  // namespace

void open_consent_module(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"permits", guarded<consent_permits>},
      {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  set_global_module(L, "consent");
}

}  // namespace artery::lua
