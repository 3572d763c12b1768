// The sandboxed standard library: what a channel script may use of Lua's own
// libraries, and a require() that only loads text modules from module_paths.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

namespace artery::lua {
namespace {

// load(chunk [, chunkname [, mode [, env]]]) with mode forced to "t": binary
// chunks can crash the VM, so they are never accepted.
int text_only_load(lua_State* L) {
  const int given = lua_gettop(L);
  lua_settop(L, given < 3 ? 3 : given);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// collectgarbage limited to options that cannot change how the collector runs.
int limited_collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  static constexpr const char* allowed[] = {"collect", "count", "step", "isrunning"};
  bool ok = false;
  for (const char* name : allowed) ok = ok || std::strcmp(option, name) == 0;
  if (!ok) return luaL_error(L, "collectgarbage('%s') is not allowed in scripts", option);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// print() goes to the channel log at info level, not to the engine's stdout.
int print_to_log(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_Buffer buffer;
  luaL_buffinit(L, &buffer);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&buffer, '\t');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&buffer);
  }
  luaL_pushresult(&buffer);
  std::size_t size = 0;
  const char* text = lua_tolstring(L, -1, &size);
  if (ScriptServices* services = sandbox_state(L).services) services->log(LogLevel::info, {text, size});
  return 0;
}

// A module's source and chunk name, kept in a box while it loads.
struct ModuleSource {
  std::string text;
  std::string chunk_name;
};

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  char previous = 0;
  for (char c : name) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!word && c != '.') return false;
    if (c == '.' && previous == '.') return false;
    previous = c;
  }
  return true;
}

bool find_module(const SandboxState& state, std::string_view name, ModuleSource& out) {
  std::string relative(name);
  for (char& c : relative)
    if (c == '.') c = '/';
  for (const auto& dir : state.module_paths) {
    for (const auto& candidate : {dir / (relative + ".lua"), dir / relative / "init.lua"}) {
      std::ifstream in(candidate, std::ios::binary);
      if (!in) continue;
      std::ostringstream text;
      text << in.rdbuf();
      out.text = std::move(text).str();
      out.chunk_name = "@" + (relative + (candidate.filename() == "init.lua" ? "/init.lua" : ".lua"));
      return true;
    }
  }
  return false;
}

// require(name): built-in modules by name, else `name.lua` (dots as folders)
// or `name/init.lua` under module_paths, loaded once per state in text mode.
int sandbox_require(lua_State* L) {
  const std::string_view name = check_string_view(L, 1);
  lua_settop(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);  // 2
  if (lua_getfield(L, 2, lua_tostring(L, 1)) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  if (!valid_module_name(name)) return luaL_error(L, "require: bad module name '%s'", lua_tostring(L, 1));
  push_box_metatable<ModuleSource>(L, "artery.module_source");
  lua_pop(L, 1);
  ModuleSource& source = new_box<ModuleSource>(L, 0);  // 3
  if (!find_module(sandbox_state(L), name, source))
    return luaL_error(L, "module '%s' not found in the script module paths", lua_tostring(L, 1));
  if (luaL_loadbufferx(L, source.text.data(), source.text.size(), source.chunk_name.c_str(), "t") != LUA_OK)
    return lua_error(L);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, 2, lua_tostring(L, 1));
  return 1;
}

void wrap_global(lua_State* L, const char* name, lua_CFunction wrapper) {
  lua_getglobal(L, name);
  lua_pushcclosure(L, wrapper, 1);
  lua_setglobal(L, name);
}

}  // namespace

void open_sandbox(lua_State* L) {
  struct Library {
    const char* name;
    lua_CFunction open;
  };
  static constexpr Library libraries[] = {
      {LUA_GNAME, luaopen_base},          {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_MATHLIBNAME, luaopen_math},    {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_COLIBNAME, luaopen_coroutine},
  };
  for (const auto& library : libraries) {
    luaL_requiref(L, library.name, library.open, 1);
    lua_pop(L, 1);
  }

  // os: only clocks and dates. The full library is opened unregistered and
  // the allowed functions copied out of it.
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
  lua_createtable(L, 0, 4);
  for (const char* name : {"time", "clock", "date", "difftime"}) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  lua_pushvalue(L, -1);
  lua_setglobal(L, LUA_OSLIBNAME);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, LUA_OSLIBNAME);
  lua_pop(L, 3);

  for (const char* name : {"dofile", "loadfile", "require"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  wrap_global(L, "load", text_only_load);
  wrap_global(L, "collectgarbage", limited_collectgarbage);
  lua_pushcfunction(L, print_to_log);
  lua_setglobal(L, "print");
  lua_pushcfunction(L, guarded<sandbox_require>);
  lua_setglobal(L, "require");
}

}  // namespace artery::lua
