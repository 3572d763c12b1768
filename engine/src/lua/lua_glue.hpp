// Glue for calling C++ from Lua safely.
//
// Lua (built as C) reports errors with longjmp, which skips C++ destructors, and
// a C++ exception must never unwind through Lua's C frames. So every C function
// we register is wrapped in `guarded` (exceptions become Lua errors), and C++
// objects that must outlive a possible Lua error live inside userdata with a
// __gc metamethod ("boxes") instead of on the C++ stack.
#pragma once

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include <cstdio>
#include <exception>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace artery::lua {

// Wraps a lua_CFunction so that no C++ exception escapes into Lua.
template <int (*F)(lua_State*)>
int guarded(lua_State* L) {
  char message[320];
  try {
    return F(L);
  } catch (const std::bad_alloc&) {
    std::snprintf(message, sizeof message, "out of memory");
  } catch (const std::exception& e) {
    std::snprintf(message, sizeof message, "%s", e.what());
  } catch (...) {
    std::snprintf(message, sizeof message, "unknown C++ exception");
  }
  return luaL_error(L, "%s", message);  // outside the catch: no live exception object is skipped
}

inline void push_string(lua_State* L, std::string_view s) { lua_pushlstring(L, s.data(), s.size()); }

inline std::string_view check_string_view(lua_State* L, int index) {
  std::size_t size = 0;
  const char* data = luaL_checklstring(L, index, &size);
  return {data, size};
}

// A C++ object of type T owned by a Lua userdata. Each T has one metatable,
// kept in the registry under the address of BoxKey<T>::key.
template <class T>
struct BoxKey {
  static inline const char key = 0;
};

template <class T>
int destroy_box(lua_State* L) {
  if (auto* p = static_cast<T*>(lua_touserdata(L, 1))) p->~T();
  return 0;
}

// Pushes T's metatable, creating it (with __gc and __name) the first time.
template <class T>
void push_box_metatable(lua_State* L, const char* name) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &BoxKey<T>::key) != LUA_TNIL) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 8);
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
  if constexpr (!std::is_trivially_destructible_v<T>) {
    lua_pushcfunction(L, destroy_box<T>);
    lua_setfield(L, -2, "__gc");
  }
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");  // getmetatable() from scripts sees a string, not our table
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &BoxKey<T>::key);
}

// Creates a userdata holding T(args...) with T's metatable; leaves it on the stack.
// The metatable is attached only once T is constructed, so __gc never sees raw memory.
template <class T, class... Args>
T& new_box(lua_State* L, int user_values, Args&&... args) {
  void* memory = lua_newuserdatauv(L, sizeof(T), user_values);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &BoxKey<T>::key);  // registered at module open
  T* object = new (memory) T(std::forward<Args>(args)...);
  lua_setmetatable(L, -2);
  return *object;
}

template <class T>
T* test_box(lua_State* L, int index) {
  void* p = lua_touserdata(L, index);
  if (!p || !lua_getmetatable(L, index)) return nullptr;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &BoxKey<T>::key);
  const bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same ? static_cast<T*>(p) : nullptr;
}

template <class T>
T& check_box(lua_State* L, int index, const char* what) {
  T* p = test_box<T>(L, index);
  if (!p) luaL_typeerror(L, index, what);
  return *p;
}

// Pops the table on top of the stack into global `name`, also registered as a
// loaded module so that require(name) returns it.
inline void set_global_module(lua_State* L, const char* name) {
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  lua_setglobal(L, name);
}

}  // namespace artery::lua
