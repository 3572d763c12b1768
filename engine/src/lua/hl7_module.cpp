// HL7 v2 for scripts: the message object (msg:get/set/segments..., msg.PID[5][1])
// and the global `hl7` module (parse, build, ack, escape, unescape).
//
// A message object is a box owning an hl7::Message. Segment, field, component
// and subcomponent proxies are small trivially-destructible userdata holding a
// path; their user value keeps the message alive. Proxies read and write through
// the message, so they always see its current content.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <cstring>

namespace artery::lua {
namespace {

struct Hl7Object {
  explicit Hl7Object(hl7::Message&& m) : message(std::move(m)) {}
  hl7::Message message;
  bool modified = false;  // set/add_segment/remove_segment was called
};

// A path into a message: segment level when field == 0, field level when
// component == 0, component level when subcomponent == 0.
struct Hl7Proxy {
  char segment[16];
  int segment_index;
  int field;
  int repetition;
  int component;
  int subcomponent;
};
static_assert(std::is_trivially_destructible_v<Hl7Proxy>);

Hl7Object& check_message(lua_State* L, int index) { return check_box<Hl7Object>(L, index, "hl7 message"); }

Hl7Proxy& check_proxy(lua_State* L, int index) { return check_box<Hl7Proxy>(L, index, "hl7 segment/field proxy"); }

// The message a proxy (at index) belongs to; pushes nothing.
Hl7Object& proxy_message(lua_State* L, int index) {
  lua_getiuservalue(L, index, 1);
  Hl7Object& object = check_message(L, -1);
  lua_pop(L, 1);  // the proxy at `index` keeps it alive
  return object;
}

hl7::Path proxy_path(const Hl7Proxy& proxy) {
  hl7::Path path;
  path.segment = proxy.segment;
  path.segment_index = proxy.segment_index;
  path.field = proxy.field;
  path.repetition = proxy.repetition;
  path.component = proxy.component;
  path.subcomponent = proxy.subcomponent;
  return path;
}

// Pushes a proxy for `proxy`, tied to the message at `message_index`.
void push_proxy(lua_State* L, int message_index, const Hl7Proxy& proxy) {
  message_index = lua_absindex(L, message_index);
  new_box<Hl7Proxy>(L, 1, proxy);
  lua_pushvalue(L, message_index);
  lua_setiuservalue(L, -2, 1);
}

bool segment_name_ok(std::string_view name) {
  if (name.size() < 2 || name.size() >= sizeof(Hl7Proxy::segment)) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

Hl7Proxy segment_proxy(std::string_view name, int index) {
  Hl7Proxy proxy{};
  std::memcpy(proxy.segment, name.data(), name.size());
  proxy.segment[name.size()] = '\0';
  proxy.segment_index = index;
  proxy.repetition = 1;
  return proxy;
}

hl7::Path check_path(lua_State* L, int index) {
  const std::string_view text = check_string_view(L, index);
  std::string error;
  auto path = hl7::parse_path(text, &error);
  if (!path) {
    error = "bad HL7 path '" + std::string(text) + "': " + error;
    raise_error(L, error);
  }
  return std::move(*path);
}

// ---- message methods ----

int message_get(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  const hl7::Path path = check_path(L, 2);
  push_string(L, object.message.get(path));
  return 1;
}

int message_set(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  const hl7::Path path = check_path(L, 2);
  const std::string_view value = check_string_view(L, 3);
  std::string error;
  if (!object.message.set(path, value, &error)) {
    error = "msg:set('" + std::string(lua_tostring(L, 2)) + "'): " + error;
    raise_error(L, error);
  }
  object.modified = true;
  return 0;
}

int message_segments(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  const std::string_view name = check_string_view(L, 2);
  if (!segment_name_ok(name)) return luaL_error(L, "bad segment name '%s'", lua_tostring(L, 2));
  const int count = object.message.count(name);
  lua_createtable(L, count, 0);
  for (int i = 1; i <= count; ++i) {
    push_proxy(L, 1, segment_proxy(name, i));
    lua_rawseti(L, -2, i);
  }
  return 1;
}

int message_segment(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  const std::string_view name = check_string_view(L, 2);
  const int index = static_cast<int>(luaL_optinteger(L, 3, 1));
  if (!segment_name_ok(name)) return luaL_error(L, "bad segment name '%s'", lua_tostring(L, 2));
  if (index < 1 || index > object.message.count(name)) {
    lua_pushnil(L);
  } else {
    push_proxy(L, 1, segment_proxy(name, index));
  }
  return 1;
}

int message_count(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  lua_pushinteger(L, object.message.count(check_string_view(L, 2)));
  return 1;
}

int message_add_segment(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  const std::string_view text = check_string_view(L, 2);
  if (text.size() < 3) return luaL_error(L, "msg:add_segment: '%s' is not a segment", lua_tostring(L, 2));
  object.message.add_segment(text);
  object.modified = true;
  return 0;
}

int message_remove_segment(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  const std::string_view name = check_string_view(L, 2);
  const int index = static_cast<int>(luaL_optinteger(L, 3, 1));
  const bool removed = object.message.remove_segment(name, index);
  object.modified = object.modified || removed;
  lua_pushboolean(L, removed);
  return 1;
}

int message_type(lua_State* L) {
  push_string(L, check_message(L, 1).message.message_type());
  return 1;
}

int message_control_id(lua_State* L) {
  push_string(L, check_message(L, 1).message.control_id());
  return 1;
}

int message_encode(lua_State* L) {
  push_string(L, check_message(L, 1).message.encode());
  return 1;
}

// msg.KEY: a method, else the first segment named KEY (nil when absent).
int message_index(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  if (lua_type(L, 2) != LUA_TSTRING) return 1;
  const std::string_view name = check_string_view(L, 2);
  if (!segment_name_ok(name) || object.message.count(name) == 0) return 1;
  push_proxy(L, 1, segment_proxy(name, 1));
  return 1;
}

// ---- proxies ----

// A segment's encoded text, taken from the re-encoded message.
std::string segment_text(const Hl7Object& object, const Hl7Proxy& proxy) {
  const std::string encoded = object.message.encode();
  int seen = 0;
  std::size_t start = 0;
  while (start < encoded.size()) {
    std::size_t end = encoded.find_first_of("\r\n", start);
    if (end == std::string::npos) end = encoded.size();
    const std::string_view line(encoded.data() + start, end - start);
    const std::string_view name = line.substr(0, line.find(object.message.delimiters().field));
    if (name == proxy.segment && ++seen == proxy.segment_index) return std::string(line);
    start = end + 1;
  }
  return {};
}

std::string proxy_value(lua_State* L, int index) {
  const Hl7Proxy& proxy = check_proxy(L, index);
  const Hl7Object& object = proxy_message(L, index);
  if (proxy.field == 0) return segment_text(object, proxy);
  return object.message.get(proxy_path(proxy));
}

int proxy_value_function(lua_State* L) {
  push_string(L, proxy_value(L, 1));
  return 1;
}

int proxy_name(lua_State* L) {
  lua_pushstring(L, check_proxy(L, 1).segment);
  return 1;
}

// seg:get("5.1") / seg:get("3[2].1"): a path relative to the segment.
int proxy_get(lua_State* L) {
  const Hl7Proxy& proxy = check_proxy(L, 1);
  const std::string_view relative = check_string_view(L, 2);
  if (proxy.field != 0) return luaL_error(L, ":get(path) is for segments; use :value() on fields");
  Hl7Object& object = proxy_message(L, 1);
  std::string text = std::string(proxy.segment) + "(" + std::to_string(proxy.segment_index) + ")-" + std::string(relative);
  std::string error;
  auto path = hl7::parse_path(text, &error);
  if (!path) {
    error = "bad HL7 path '" + std::string(relative) + "': " + error;
    raise_error(L, error);
  }
  push_string(L, object.message.get(*path));
  return 1;
}

// Sets a value: field:set(v), or seg:set("5.1", v).
int proxy_set(lua_State* L) {
  const Hl7Proxy& proxy = check_proxy(L, 1);
  Hl7Object& object = proxy_message(L, 1);
  std::string error;
  std::optional<hl7::Path> path;
  std::string_view value;
  if (proxy.field == 0) {
    const std::string_view relative = check_string_view(L, 2);
    value = check_string_view(L, 3);
    path = hl7::parse_path(std::string(proxy.segment) + "(" + std::to_string(proxy.segment_index) + ")-" +
                               std::string(relative),
                           &error);
  } else {
    value = check_string_view(L, 2);
    path = proxy_path(proxy);
  }
  if (!path || !object.message.set(*path, value, &error)) {
    error = "set: " + error;
    raise_error(L, error);
  }
  object.modified = true;
  return 0;
}

// field:rep(n): the n-th repetition of a field.
int proxy_repetition(lua_State* L) {
  Hl7Proxy proxy = check_proxy(L, 1);
  const lua_Integer n = luaL_checkinteger(L, 2);
  if (proxy.field == 0 || proxy.component != 0) return luaL_error(L, ":rep(n) is for fields");
  if (n < 1) return luaL_error(L, "repetitions count from 1");
  proxy.repetition = static_cast<int>(n);
  lua_getiuservalue(L, 1, 1);
  push_proxy(L, -1, proxy);
  return 1;
}

// field:repetitions() -> how many; seg:count() -> number of fields.
int proxy_count(lua_State* L) {
  const Hl7Proxy& proxy = check_proxy(L, 1);
  const Hl7Object& object = proxy_message(L, 1);
  if (proxy.field == 0) {
    lua_pushinteger(L, object.message.field_count(proxy.segment, proxy.segment_index));
  } else {
    lua_pushinteger(L, object.message.repetition_count(proxy_path(proxy)));
  }
  return 1;
}

int proxy_index_number(lua_State* L) {
  lua_pushinteger(L, check_proxy(L, 1).segment_index);
  return 1;
}

// The child proxy of `proxy` at position n (field, component, subcomponent).
bool child_of(Hl7Proxy& proxy, lua_Integer n) {
  if (n < 1 || n > 100000) return false;
  const int value = static_cast<int>(n);
  if (proxy.field == 0) {
    proxy.field = value;
  } else if (proxy.component == 0) {
    proxy.component = value;
  } else if (proxy.subcomponent == 0) {
    proxy.subcomponent = value;
  } else {
    return false;
  }
  return true;
}

int proxy_index(lua_State* L) {
  Hl7Proxy proxy = check_proxy(L, 1);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    if (!child_of(proxy, luaL_checkinteger(L, 2)))
      return luaL_error(L, "no HL7 element at index %s here", lua_tostring(L, 2));
    lua_getiuservalue(L, 1, 1);
    push_proxy(L, -1, proxy);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

// seg[5] = "x", field[1] = "y": set the child's value.
int proxy_newindex(lua_State* L) {
  Hl7Proxy proxy = check_proxy(L, 1);
  if (!child_of(proxy, luaL_checkinteger(L, 2)))
    return luaL_error(L, "no HL7 element at index %s here", lua_tostring(L, 2));
  std::size_t size = 0;
  const char* text = luaL_tolstring(L, 3, &size);
  const std::string_view value(text, size);
  Hl7Object& object = proxy_message(L, 1);
  std::string error;
  if (!object.message.set(proxy_path(proxy), value, &error)) {
    error = "set: " + error;
    raise_error(L, error);
  }
  object.modified = true;
  return 0;
}

int proxy_tostring(lua_State* L) {
  push_string(L, proxy_value(L, 1));
  return 1;
}

// Text of either operand: proxies by value, anything else by tostring.
void push_operand_text(lua_State* L, int index) {
  if (test_box<Hl7Proxy>(L, index)) {
    push_string(L, proxy_value(L, index));
  } else {
    luaL_tolstring(L, index, nullptr);
  }
}

int proxy_concat(lua_State* L) {
  push_operand_text(L, 1);
  push_operand_text(L, 2);
  lua_concat(L, 2);
  return 1;
}

int proxy_eq(lua_State* L) {
  push_operand_text(L, 1);
  push_operand_text(L, 2);
  lua_pushboolean(L, lua_rawequal(L, -1, -2));
  return 1;
}

int proxy_lt(lua_State* L) {
  push_operand_text(L, 1);
  push_operand_text(L, 2);
  lua_pushboolean(L, lua_compare(L, -2, -1, LUA_OPLT));
  return 1;
}

int proxy_le(lua_State* L) {
  push_operand_text(L, 1);
  push_operand_text(L, 2);
  lua_pushboolean(L, lua_compare(L, -2, -1, LUA_OPLE));
  return 1;
}

// ---- the hl7 module ----

// The parsed tree lives in the C++ heap, unseen by Lua's collector: advance the
// collector in proportion, so a loop parsing messages frees them as it goes.
void account_external_memory(lua_State* L, std::size_t bytes) {
  if (bytes >= 256) lua_gc(L, LUA_GCSTEP, static_cast<int>(bytes / 256));  // ~4x the text, in KiB
}

int hl7_parse(lua_State* L) {
  const std::string_view text = check_string_view(L, 1);
  account_external_memory(L, text.size());
  hl7::ParseError error;
  auto message = hl7::Message::parse(text, &error);
  if (!message) {
    lua_pushnil(L);
    push_string(L, "HL7 parse error: " + error.message);
    return 2;
  }
  push_hl7_message(L, std::move(*message));
  return 1;
}

// hl7.build({"MSH|...", "PID|..."}) or hl7.build("MSH|...\rPID|..."): a new message.
int hl7_build(lua_State* L) {
  std::string text;
  if (lua_istable(L, 1)) {
    const lua_Integer n = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_geti(L, 1, i);
      std::size_t size = 0;
      const char* segment = lua_tolstring(L, -1, &size);
      if (!segment) {
        text.clear();
        text.shrink_to_fit();
        return luaL_error(L, "hl7.build: segment %d is not a string", static_cast<int>(i));
      }
      text.append(segment, size).push_back('\r');
      lua_pop(L, 1);
    }
  } else {
    text = check_string_view(L, 1);
  }
  account_external_memory(L, text.size());
  hl7::ParseError error;
  auto message = hl7::Message::parse(text, &error);
  std::string().swap(text);
  if (!message) {
    std::string reason = "hl7.build: " + error.message;
    raise_error(L, reason);
  }
  push_hl7_message(L, std::move(*message));
  return 1;
}

int hl7_ack(lua_State* L) {
  Hl7Object& object = check_message(L, 1);
  hl7::AckOptions options;
  options.code = luaL_optstring(L, 2, "AA");
  options.text = luaL_optstring(L, 3, "");
  push_string(L, hl7::build_ack(object.message, options));
  return 1;
}

const hl7::Delimiters& delimiters_for(lua_State* L, int index) {
  static const hl7::Delimiters defaults;
  if (lua_isnoneornil(L, index)) return defaults;
  return check_message(L, index).message.delimiters();
}

int hl7_escape(lua_State* L) {
  const std::string_view text = check_string_view(L, 1);
  push_string(L, hl7::escape(text, delimiters_for(L, 2)));
  return 1;
}

int hl7_unescape(lua_State* L) {
  const std::string_view text = check_string_view(L, 1);
  push_string(L, hl7::unescape(text, delimiters_for(L, 2)));
  return 1;
}

}  // namespace

void push_hl7_message(lua_State* L, hl7::Message&& message) { new_box<Hl7Object>(L, 0, std::move(message)); }

bool encode_hl7_object(lua_State* L, int index, std::string& out, bool* modified) {
  const Hl7Object* object = test_box<Hl7Object>(L, index);
  if (!object) return false;
  out = object->message.encode();
  if (modified) *modified = object->modified;
  return true;
}

void open_hl7_module(lua_State* L) {
  static const luaL_Reg message_methods[] = {
      {"get", guarded<message_get>},
      {"set", guarded<message_set>},
      {"segments", guarded<message_segments>},
      {"segment", guarded<message_segment>},
      {"count", guarded<message_count>},
      {"add_segment", guarded<message_add_segment>},
      {"remove_segment", guarded<message_remove_segment>},
      {"type", guarded<message_type>},
      {"control_id", guarded<message_control_id>},
      {"encode", guarded<message_encode>},
      {nullptr, nullptr},
  };
  push_box_metatable<Hl7Object>(L, "hl7 message");
  luaL_newlib(L, message_methods);
  lua_pushcclosure(L, guarded<message_index>, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, guarded<message_encode>);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);

  static const luaL_Reg proxy_methods[] = {
      {"value", guarded<proxy_value_function>},
      {"name", guarded<proxy_name>},
      {"get", guarded<proxy_get>},
      {"set", guarded<proxy_set>},
      {"rep", guarded<proxy_repetition>},
      {"count", guarded<proxy_count>},
      {"index", guarded<proxy_index_number>},
      {nullptr, nullptr},
  };
  push_box_metatable<Hl7Proxy>(L, "hl7 element");
  luaL_newlib(L, proxy_methods);
  lua_pushcclosure(L, guarded<proxy_index>, 1);
  lua_setfield(L, -2, "__index");
  static const luaL_Reg proxy_metamethods[] = {
      {"__newindex", guarded<proxy_newindex>}, {"__tostring", guarded<proxy_tostring>},
      {"__concat", guarded<proxy_concat>},     {"__eq", guarded<proxy_eq>},
      {"__lt", guarded<proxy_lt>},             {"__le", guarded<proxy_le>},
      {nullptr, nullptr},
  };
  luaL_setfuncs(L, proxy_metamethods, 0);
  lua_pop(L, 1);

  static const luaL_Reg module[] = {
      {"parse", guarded<hl7_parse>},   {"build", guarded<hl7_build>},       {"ack", guarded<hl7_ack>},
      {"escape", guarded<hl7_escape>}, {"unescape", guarded<hl7_unescape>}, {nullptr, nullptr},
  };
  luaL_newlib(L, module);
  set_global_module(L, "hl7");
}

}  // namespace artery::lua
