// ctx.store: the channel's persistent key/value space, through ScriptServices.
// Values are strings; encode tables yourself with json.encode.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

namespace artery::lua {
namespace {

ScriptServices& services(lua_State* L) {
  ScriptServices* s = sandbox_state(L).services;
  if (!s) luaL_error(L, "ctx.store is not available here (no store service)");
  return *s;
}

// Accepts both ctx.store.get(k) and ctx.store:get(k).
int first_argument(lua_State* L) { return lua_istable(L, 1) ? 2 : 1; }

int store_get(lua_State* L) {
  const int at = first_argument(L);
  const std::string_view key = check_string_view(L, at);
  auto value = services(L).store_get(key);
  if (value) {
    push_string(L, *value);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int store_set(lua_State* L) {
  const int at = first_argument(L);
  const std::string_view key = check_string_view(L, at);
  if (lua_type(L, at + 1) != LUA_TSTRING)
    return luaL_error(L, "ctx.store.set: the value must be a string (use json.encode for tables), got %s",
                      luaL_typename(L, at + 1));
  services(L).store_put(key, check_string_view(L, at + 1));
  return 0;
}

int store_delete(lua_State* L) {
  const int at = first_argument(L);
  services(L).store_erase(check_string_view(L, at));
  return 0;
}

int store_keys(lua_State* L) {
  const int at = first_argument(L);
  const std::string_view prefix = lua_isnoneornil(L, at) ? std::string_view() : check_string_view(L, at);
  ScriptServices& s = services(L);
  const std::vector<std::string> keys = s.store_keys(prefix);
  lua_createtable(L, static_cast<int>(keys.size()), 0);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    push_string(L, keys[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 1;
}

}  // namespace

void push_store_table(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"get", guarded<store_get>},       {"set", guarded<store_set>},   {"put", guarded<store_set>},
      {"delete", guarded<store_delete>}, {"keys", guarded<store_keys>}, {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
}

}  // namespace artery::lua
