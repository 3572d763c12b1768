// Script: one sandboxed lua_State running a channel's filter/transform/
// response/send functions with per-call instruction and memory limits.
//
// Every Lua API call that can fail (allocate, raise) runs inside lua_pcall, so
// a script error, an exhausted budget or a bad message becomes a ScriptResult,
// never a panic. Results are collected into C++ objects owned by the caller's
// frame (outside the pcall) and copied into the context only on success.
#include "lua/script.hpp"

#include "config/closest_name.hpp"
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace artery::lua {
namespace {

constexpr int kHookInterval = 10000;              // instructions between hook calls
constexpr std::size_t kTracebackSlack = 1u << 20;  // memory allowed beyond the limit for a traceback

enum class Kind { process, response, send };
enum FunctionSlot { kFilter, kTransform, kResponse, kSend, kSlotCount };
constexpr const char* kFunctionNames[kSlotCount] = {"filter", "transform", "response", "send"};

void* budget_alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize) {
  auto* state = static_cast<SandboxState*>(ud);
  const std::size_t old = ptr ? osize : 0;  // for new blocks osize is a type tag
  if (nsize == 0) {
    std::free(ptr);
    state->memory_used -= old;
    return nullptr;
  }
  if (nsize > old && state->memory_used - old + nsize > state->memory_limit + state->memory_slack) {
    state->memory_refused = true;
    return nullptr;  // Lua raises "not enough memory"
  }
  void* block = std::realloc(ptr, nsize);
  if (block) state->memory_used = state->memory_used - old + nsize;
  return block;
}

void instruction_hook(lua_State* L, lua_Debug*) {
  SandboxState& state = sandbox_state(L);
  state.instructions_used += kHookInterval;
  if (state.instructions_used <= state.instruction_limit && !state.instructions_exceeded) return;
  if (!state.instructions_exceeded) {
    state.instructions_exceeded = true;
    // From now on fire at every instruction, so a script that catches the
    // error with pcall cannot keep running: the next instruction raises again.
    lua_sethook(L, instruction_hook, LUA_MASKCOUNT, 1);
  }
  luaL_error(L, "instruction limit exceeded (%I instructions per call)",
             static_cast<lua_Integer>(state.instruction_limit));
}

// Message handler: appends the traceback to the error message.
int traceback_handler(lua_State* L) {
  SandboxState& state = sandbox_state(L);
  state.memory_slack = kTracebackSlack;
  lua_sethook(L, nullptr, 0, 0);  // the call is over; don't count the handler
  const char* message = lua_tostring(L, 1);
  if (!message) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
      message = lua_tostring(L, -1);
    } else {
      message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
  }
  luaL_traceback(L, L, message, 1);
  return 1;
}

std::optional<std::string> read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

}  // namespace

bool encode_message_object(lua_State* L, int index, std::string& out, bool* modified) {
  return encode_hl7_object(L, index, out, modified) || encode_xml_object(L, index, out, modified);
}

// The loaded script; Script::Impl is this (the header keeps Impl private).
struct LoadedScript {
  SandboxState state;
  lua_State* L = nullptr;
  int functions[kSlotCount] = {LUA_NOREF, LUA_NOREF, LUA_NOREF, LUA_NOREF};
  int store_table = LUA_NOREF;
  std::string source;
  std::string chunk_name;
  std::string module_name;

  ~LoadedScript() {
    if (L) lua_close(L);
  }

  bool defined(FunctionSlot slot) const { return functions[slot] != LUA_NOREF; }

  void start_call() {
    state.instructions_used = 0;
    state.instructions_exceeded = false;
    state.memory_refused = false;
    state.memory_slack = 0;
    lua_sethook(L, instruction_hook, LUA_MASKCOUNT, kHookInterval);
  }

  // Runs `body(L)` protected with the traceback handler; "" on success.
  std::string protected_run(lua_CFunction body, void* frame) {
    start_call();
    lua_settop(L, 0);
    lua_pushcfunction(L, traceback_handler);
    lua_pushcfunction(L, body);
    lua_pushlightuserdata(L, frame);
    const int rc = lua_pcall(L, 1, 0, 1);
    lua_sethook(L, nullptr, 0, 0);
    std::string error;
    if (rc != LUA_OK) {
      if (rc == LUA_ERRMEM || (state.memory_refused && rc == LUA_ERRERR)) {
        error = "not enough memory: the script exceeded its memory limit of " +
                std::to_string(state.memory_limit) + " bytes";
      } else {
        const char* text = lua_tostring(L, -1);
        error = text ? text : "script failed (no error message)";
      }
    }
    state.memory_slack = 0;
    lua_settop(L, 0);
    // After a refused allocation, give the next message the whole budget back.
    if (state.memory_refused) lua_gc(L, LUA_GCCOLLECT, 0);
    return error;
  }
};

struct Script::Impl : LoadedScript {};

namespace {

struct LoadFrame {
  LoadedScript* impl;
  const std::vector<std::string>* functions;
};

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

// Every name the script's table exports must be one this use of it calls.
// Raises "file.lua:LINE: ..." (the line where the function was defined) so
// validate can point into the script.
int check_exports(lua_State* L, int table, const std::vector<std::string>& allowed) {
  lua_pushnil(L);
  while (lua_next(L, table)) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      const std::string name = lua_tostring(L, -2);
      const bool known = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
      if (!known && name.rfind('_', 0) != 0) {
        std::string where;
        if (lua_type(L, -1) == LUA_TFUNCTION) {
          lua_Debug info;
          lua_pushvalue(L, -1);
          if (lua_getinfo(L, ">S", &info) && info.linedefined > 0)
            where = std::string(info.short_src) + ":" + std::to_string(info.linedefined) + ": ";
        }
        std::vector<std::string> all(std::begin(kFunctionNames), std::end(kFunctionNames));
        std::string hint = config::did_you_mean(name, allowed);
        if (hint.empty() && std::find(all.begin(), all.end(), name) != all.end())
          hint = " (" + name + " is not called here)";
        return luaL_error(L, "%sunknown name M.%s in the returned table%s; this script can define %s "
                             "(start a name with _ to keep it for the script itself)",
                          where.c_str(), name.c_str(), hint.c_str(), list_names(allowed).c_str());
      }
    }
    lua_pop(L, 1);
  }
  return 0;
}

int load_body(lua_State* L) {
  auto& impl = *static_cast<LoadFrame*>(lua_touserdata(L, 1))->impl;
  open_sandbox(L);
  open_hl7_module(L);
  open_json_module(L);
  open_xml_module(L);
  open_crypto_module(L);
  open_uuid_module(L);
  open_fhir_module(L);
  open_deid_module(L);
  open_consent_module(L);
  open_log_module(L);
  open_router_module(L);
  if (!impl.state.fs_roots.empty()) open_fs_module(L);
  push_store_table(L);
  impl.store_table = luaL_ref(L, LUA_REGISTRYINDEX);

  if (luaL_loadbufferx(L, impl.source.data(), impl.source.size(), impl.chunk_name.c_str(), "t") != LUA_OK)
    return lua_error(L);
  lua_call(L, 0, 1);
  if (!lua_istable(L, -1))
    return luaL_error(L, "the script must return a table of functions (filter, transform, response, send), got %s",
                      luaL_typename(L, -1));
  // Registered as a loaded module so tracebacks name functions "<script>.transform".
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, impl.module_name.c_str());
  lua_pop(L, 1);
  check_exports(L, lua_gettop(L), *static_cast<LoadFrame*>(lua_touserdata(L, 1))->functions);
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const int type = lua_getfield(L, -1, kFunctionNames[slot]);
    if (type == LUA_TNIL) {
      lua_pop(L, 1);
    } else if (type != LUA_TFUNCTION) {
      return luaL_error(L, "M.%s must be a function, got %s", kFunctionNames[slot], luaL_typename(L, -1));
    } else {
      impl.functions[slot] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
  }
  return 0;
}

}  // namespace

std::unique_ptr<Script> Script::load(const Options& options, std::string& error) {
  auto impl = std::make_unique<Impl>();
  auto source = read_text_file(options.file);
  if (!source) {
    error = "cannot read script " + options.file.string();
    return nullptr;
  }
  impl->source = std::move(*source);
  impl->chunk_name = "@" + options.file.filename().string();
  impl->module_name = options.file.stem().string();
  impl->state.memory_limit = options.limits.memory_bytes;
  impl->state.instruction_limit = options.limits.instructions;
  impl->state.services = options.services;
  impl->state.module_paths = options.module_paths;
  for (const auto& root : options.fs_roots) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(root, ec), ec);
    if (ec) {
      error = "fs root " + root.string() + ": " + ec.message();
      return nullptr;
    }
    impl->state.fs_roots.push_back(canonical);
  }

  impl->L = lua_newstate(budget_alloc, &impl->state);
  if (!impl->L) {
    error = "cannot create a Lua state within the memory limit";
    return nullptr;
  }
  *static_cast<SandboxState**>(lua_getextraspace(impl->L)) = &impl->state;

  LoadFrame frame{impl.get(), &options.functions};
  error = impl->protected_run(guarded<load_body>, &frame);
  std::string().swap(impl->source);
  if (!error.empty()) {
    error = options.file.filename().string() + ": " + error;
    return nullptr;
  }
  return std::unique_ptr<Script>(new Script(std::move(impl)));
}

Script::Script(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

const std::vector<std::string>& Script::channel_functions() {
  static const std::vector<std::string> names = {"filter", "transform"};
  return names;
}
const std::vector<std::string>& Script::destination_functions() {
  static const std::vector<std::string> names = {"filter", "transform", "response"};
  return names;
}
const std::vector<std::string>& Script::lua_destination_functions() {
  static const std::vector<std::string> names = {"filter", "transform", "response", "send"};
  return names;
}
Script::~Script() = default;

bool Script::has(std::string_view function) const {
  for (int slot = 0; slot < kSlotCount; ++slot)
    if (function == kFunctionNames[slot]) return impl_->defined(static_cast<FunctionSlot>(slot));
  return false;
}

namespace {

// Everything one call needs and produces, owned by the C++ caller so that a
// Lua error (longjmp) inside the protected body skips no destructor.
struct CallFrame {
  LoadedScript* impl;
  Kind kind;
  const ScriptInput* input;
  const ScriptContext* context;
  ScriptResult* result;
  std::map<std::string, std::string> vars;  // ctx.vars after the call
  std::optional<std::string> response;      // ctx.response after the call
  std::optional<hl7::Message> parsed;       // scratch for the HL7 parse
  std::string scratch;
  bool input_failed = false;  // the input did not parse: result already says why
  std::vector<RoutedPayload> routes;  // router.route() during this call
};

// Pushes msg for the input's data type; false (with the result set) when it does not parse.
bool push_input_message(lua_State* L, CallFrame& frame) {
  const std::string_view type = frame.input->data_type;
  const std::string_view content = frame.input->content;
  if (type == data_type::hl7v2 && frame.input->parsed) {
    push_hl7_message(L, std::move(*frame.input->parsed));
    return true;
  }
  if (type == data_type::hl7v2) {
    hl7::ParseError parse_error;
    frame.parsed = hl7::Message::parse(content, &parse_error);
    if (!frame.parsed) {
      frame.result->error = "HL7 parse error: " + parse_error.message;
      if (parse_error.offset) frame.result->error += " (at byte " + std::to_string(parse_error.offset) + ")";
      return false;
    }
    push_hl7_message(L, std::move(*frame.parsed));
    frame.parsed.reset();
    return true;
  }
  if (type == data_type::xml) {
    if (push_xml_document(L, content, frame.scratch)) return true;
    frame.result->error = "XML parse error: " + frame.scratch;
    return false;
  }
  if (type == data_type::json) {
    if (push_json_value(L, content, frame.scratch)) return true;
    frame.result->error = "JSON parse error: " + frame.scratch;
    return false;
  }
  push_string(L, content);
  return true;
}

// ctx.responses and ctx.states of a destination with `after:` (absent otherwise).
void push_awaited_outcomes(lua_State* L, const ScriptContext& context) {
  if (context.responses.empty() && context.states.empty()) return;
  auto push_map = [L](const std::map<std::string, std::string>& values, const char* field) {
    lua_createtable(L, 0, static_cast<int>(values.size()));
    for (const auto& [key, value] : values) {
      push_string(L, key);
      push_string(L, value);
      lua_rawset(L, -3);
    }
    lua_setfield(L, -2, field);
  };
  push_map(context.responses, "responses");
  push_map(context.states, "states");
}

void push_context(lua_State* L, const CallFrame& frame) {
  const ScriptContext& context = *frame.context;
  lua_createtable(L, 0, 7);
  push_string(L, context.channel);
  lua_setfield(L, -2, "channel");
  push_string(L, context.destination);
  lua_setfield(L, -2, "destination");
  lua_createtable(L, 0, static_cast<int>(context.vars.size()));
  for (const auto& [key, value] : context.vars) {
    push_string(L, key);
    push_string(L, value);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "vars");
  if (context.response) {
    push_string(L, *context.response);
    lua_setfield(L, -2, "response");
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, frame.impl->store_table);
  lua_setfield(L, -2, "store");
  // Always a table, so `ctx.source.filename` is nil rather than an error.
  const auto* source = context.source;
  lua_createtable(L, 0, source ? static_cast<int>(source->size()) : 0);
  if (source) {
    for (const auto& [key, value] : *source) {
      push_string(L, key);
      push_string(L, value);
      lua_rawset(L, -3);
    }
  }
  lua_setfield(L, -2, "source");
  push_awaited_outcomes(L, context);
}

// Text of a var key or value: strings, numbers and booleans only.
std::string_view var_text(lua_State* L, int index, const char* role, const char* key) {
  switch (lua_type(L, index)) {
    case LUA_TSTRING:
    case LUA_TNUMBER: {
      std::size_t size = 0;
      const char* text = lua_tolstring(L, index, &size);  // index holds a copy: converting is safe
      return {text, size};
    }
    case LUA_TBOOLEAN:
      return lua_toboolean(L, index) ? "true" : "false";
    default:
      luaL_error(L, "ctx.vars %s%s%s must be a string, number or boolean, got %s", role, key ? " " : "", key ? key : "",
                 luaL_typename(L, index));
      return {};
  }
}

void collect_context(lua_State* L, int ctx, CallFrame& frame) {
  if (lua_getfield(L, ctx, "vars") != LUA_TTABLE) luaL_error(L, "ctx.vars must be a table");
  const int vars = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, vars)) {
    lua_pushvalue(L, -2);  // key copy, so converting numbers does not confuse lua_next
    const std::string_view key = var_text(L, -1, "key", nullptr);
    const std::string_view value = var_text(L, -2, "value", lua_tostring(L, -1));
    frame.vars.insert_or_assign(std::string(key), std::string(value));
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  const int type = lua_getfield(L, ctx, "response");
  if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    std::size_t size = 0;
    const char* text = lua_tolstring(L, -1, &size);
    frame.response.emplace(text, size);
  } else if (type != LUA_TNIL) {
    luaL_error(L, "ctx.response must be a string, got %s", luaL_typename(L, -1));
  }
  lua_pop(L, 1);
}

// A function's return value as the new payload (string, table -> JSON, message object).
void take_payload(lua_State* L, int index, CallFrame& frame, const char* function) {
  ScriptResult& result = *frame.result;
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      return;
    case LUA_TSTRING: {
      std::size_t size = 0;
      const char* text = lua_tolstring(L, index, &size);
      result.payload.emplace(text, size);
      return;
    }
    case LUA_TTABLE:
      result.payload.emplace();
      json_encode(L, index, *result.payload, false);
      result.payload_type = "json";
      return;
    case LUA_TUSERDATA: {
      bool modified = false;
      result.payload.emplace();
      if (encode_message_object(L, index, *result.payload, &modified)) return;
      result.payload.reset();
      break;
    }
    default:
      break;
  }
  luaL_error(L, "%s returned a %s: expected a string, a table (sent as JSON), the message or nil", function,
             luaL_typename(L, index));
}

void call_function(lua_State* L, CallFrame& frame, FunctionSlot slot, int msg, int ctx) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, frame.impl->functions[slot]);
  lua_pushvalue(L, msg);
  lua_pushvalue(L, ctx);
  lua_call(L, 2, 1);
}

int call_body(lua_State* L) {
  CallFrame& frame = *static_cast<CallFrame*>(lua_touserdata(L, 1));
  LoadedScript& impl = *frame.impl;
  ScriptResult& result = *frame.result;
  if (frame.kind == Kind::response) {
    push_string(L, frame.input->content);
  } else if (!push_input_message(L, frame)) {
    frame.input_failed = true;
    return 0;
  }
  const int msg = lua_gettop(L);
  push_context(L, frame);
  const int ctx = lua_gettop(L);

  switch (frame.kind) {
    case Kind::process:
      if (impl.defined(kFilter)) {
        call_function(L, frame, kFilter, msg, ctx);
        const bool keep = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (!keep) {
          result.status = ScriptResult::Status::filtered;
          collect_context(L, ctx, frame);
          return 0;
        }
      }
      if (impl.defined(kTransform)) {
        call_function(L, frame, kTransform, msg, ctx);
        take_payload(L, -1, frame, "transform");
        lua_pop(L, 1);
      }
      if (!result.payload) {
        // nil keeps the message, unless the script changed it in place.
        bool modified = false;
        std::string& encoded = frame.scratch;
        if (encode_message_object(L, msg, encoded, &modified) && modified) result.payload = std::move(encoded);
      }
      break;
    case Kind::response:
      call_function(L, frame, kResponse, msg, ctx);
      take_payload(L, -1, frame, "response");
      lua_pop(L, 1);
      break;
    case Kind::send:
      call_function(L, frame, kSend, msg, ctx);
      take_payload(L, -1, frame, "send");
      lua_pop(L, 1);
      break;
  }
  collect_context(L, ctx, frame);
  return 0;
}

ScriptResult run_call(LoadedScript& impl, Kind kind, const ScriptInput& input, ScriptContext& context) {
  ScriptResult result;
  CallFrame frame{&impl, kind, &input, &context, &result, {}, {}, {}, {}, false, {}};
  // Only a channel script's filter/transform may route: its routes are stored with its message.
  if (kind == Kind::process && context.destination.empty()) impl.state.routes = &frame.routes;
  std::string error = impl.protected_run(guarded<call_body>, &frame);
  impl.state.routes = nullptr;
  if (!error.empty()) {
    result.status = ScriptResult::Status::error;
    result.payload.reset();
    result.error = std::move(error);
    return result;
  }
  if (frame.input_failed) {
    result.status = ScriptResult::Status::error;
    result.input_rejected = true;
    return result;
  }
  context.vars = std::move(frame.vars);
  context.response = std::move(frame.response);
  if (!frame.routes.empty()) context.routes = std::move(frame.routes);
  return result;
}

}  // namespace

ScriptResult Script::process(const ScriptInput& input, ScriptContext& context) {
  if (!impl_->defined(kFilter) && !impl_->defined(kTransform)) return {};
  return run_call(*impl_, Kind::process, input, context);
}

ScriptResult Script::response(const ScriptInput& response, ScriptContext& context) {
  if (!impl_->defined(kResponse)) return {};
  return run_call(*impl_, Kind::response, response, context);
}

ScriptResult Script::send(const ScriptInput& input, ScriptContext& context) {
  if (!impl_->defined(kSend)) {
    ScriptResult result;
    result.status = ScriptResult::Status::error;
    result.error = "the script has no send function";
    return result;
  }
  return run_call(*impl_, Kind::send, input, context);
}

}  // namespace artery::lua
