// The `log` module: log.debug/info/warn/error(...) into the channel log
// (ScriptServices::log). Arguments are joined with spaces, like print.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

namespace artery::lua {
namespace {

template <LogLevel level>
int log_at(lua_State* L) {
  const int n = lua_gettop(L);
  luaL_Buffer buffer;
  luaL_buffinit(L, &buffer);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&buffer, ' ');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&buffer);
  }
  luaL_pushresult(&buffer);
  std::size_t size = 0;
  const char* text = lua_tolstring(L, -1, &size);
  if (ScriptServices* services = sandbox_state(L).services) services->log(level, {text, size});
  return 0;
}

}  // namespace

void open_log_module(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"debug", guarded<log_at<LogLevel::debug>>},
      {"info", guarded<log_at<LogLevel::info>>},
      {"warn", guarded<log_at<LogLevel::warn>>},
      {"error", guarded<log_at<LogLevel::error>>},
      {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  set_global_module(L, "log");
}

}  // namespace artery::lua
