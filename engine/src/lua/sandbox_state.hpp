// The C++ side of one sandboxed lua_State: its limits, counters and services.
// Reached from any thread of that state (coroutines too) through the state's
// extra space, so hooks, the allocator and modules share one object.
#pragma once
#include "lua/lua_glue.hpp"
#include "lua/script.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace artery::lua {

struct SandboxState {
  // Memory: bytes held by Lua through our allocator.
  std::size_t memory_used = 0;
  std::size_t memory_limit = 0;
  std::size_t memory_slack = 0;  // extra room granted while building an error traceback
  bool memory_refused = false;   // an allocation was refused during this call

  // Instructions: counted by the count hook, reset per call.
  std::uint64_t instruction_limit = 0;
  std::uint64_t instructions_used = 0;
  bool instructions_exceeded = false;

  ScriptServices* services = nullptr;
  std::vector<std::filesystem::path> fs_roots;      // canonical; empty: no fs module
  std::vector<std::filesystem::path> module_paths;  // searched by require()
  // Where router.route() records, during a channel script's filter/transform
  // only (null otherwise: routing from elsewhere would not be durable).
  std::vector<RoutedPayload>* routes = nullptr;
};

inline SandboxState& sandbox_state(lua_State* L) { return **static_cast<SandboxState**>(lua_getextraspace(L)); }

// Raises a Lua error whose text is `message`, releasing the C++ string first
// (lua_error longjmps past its destructor).
[[noreturn]] inline void raise_error(lua_State* L, std::string& message) {
  push_string(L, message);
  std::string().swap(message);
  lua_error(L);
  __builtin_unreachable();
}

}  // namespace artery::lua
