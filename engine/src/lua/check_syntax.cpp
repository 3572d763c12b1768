// Compiling a script without running it, for `artery validate`.
#include "lua/script.hpp"

#include <fstream>
#include <sstream>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

namespace artery::lua {

std::string check_syntax(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "cannot read script " + file.string();
  std::ostringstream text;
  text << in.rdbuf();
  const std::string source = text.str();
  lua_State* L = luaL_newstate();
  if (!L) return "out of memory";
  // "t": text only, binary chunks are refused like at run time.
  const std::string chunk = "=" + file.filename().string();
  int rc = luaL_loadbufferx(L, source.data(), source.size(), chunk.c_str(), "t");
  std::string error;
  if (rc != LUA_OK) {
    const char* message = lua_tostring(L, -1);
    error = message ? message : "syntax error";
    // Lua says "name:LINE: message"; keep "line LINE: message".
    auto prefix = file.filename().string() + ":";
    if (error.rfind(prefix, 0) == 0) error = "line " + error.substr(prefix.size());
  }
  lua_close(L);
  return error;
}

}  // namespace artery::lua
