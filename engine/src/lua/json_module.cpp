// The `json` module: encode Lua values as JSON and decode JSON into tables.
//
// Conventions (see docs/lua-api.md): json.null is the null sentinel; a table
// whose keys are exactly 1..n is an array (an empty table is []), anything else
// is an object with keys sorted for deterministic output; json.object(t) marks a
// table as an object (decoded objects carry that mark, so {} round-trips).
#include "json/json_string.hpp"
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <vector>

namespace artery::lua {
namespace {

constexpr int kMaxDepth = 200;
const char kNullKey = 0;          // address: json.null (a light userdata)
const char kObjectMarkKey = 0;    // registry: metatable marking objects
const char kArrayMarkKey = 0;     // registry: metatable marking arrays

void push_null(lua_State* L) { lua_pushlightuserdata(L, const_cast<char*>(&kNullKey)); }

bool is_null(lua_State* L, int index) {
  return lua_islightuserdata(L, index) && lua_touserdata(L, index) == &kNullKey;
}

// 1: object mark, 2: array mark, 0: none.
int table_mark(lua_State* L, int index) {
  if (!lua_getmetatable(L, index)) return 0;
  int mark = 0;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kObjectMarkKey);
  if (lua_rawequal(L, -1, -2)) mark = 1;
  lua_pop(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kArrayMarkKey);
  if (lua_rawequal(L, -1, -2)) mark = 2;
  lua_pop(L, 2);
  return mark;
}

// ---- encoding ----

struct KeyEntry {
  std::string_view text;
  bool integer;
  lua_Integer number;
};

// Reused per thread: sorted key lists per nesting depth and integer keys as text.
// Kept outside any single call so a Lua error mid-encode leaks nothing.
struct EncodeScratch {
  std::vector<std::vector<KeyEntry>> keys;
  std::deque<std::string> integer_keys;
};
thread_local EncodeScratch scratch;

void newline(std::string& out, bool pretty, int depth) {
  if (!pretty) return;
  out.push_back('\n');
  out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

void encode_value(lua_State* L, int index, std::string& out, bool pretty, int depth);

void encode_table(lua_State* L, int index, std::string& out, bool pretty, int depth) {
  if (depth >= kMaxDepth) luaL_error(L, "json.encode: tables nested too deep (a cycle?)");
  luaL_checkstack(L, 6, "json.encode: nested too deep");
  const int mark = table_mark(L, index);
  const lua_Unsigned length = lua_rawlen(L, index);
  bool array = mark == 2;
  if (mark == 0) {
    // An array when the keys are exactly 1..length.
    lua_Unsigned entries = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
      ++entries;
      lua_pop(L, 1);
    }
    array = entries == length;
  }
  if (array) {
    out.push_back('[');
    for (lua_Unsigned i = 1; i <= length; ++i) {
      if (i > 1) out.push_back(',');
      newline(out, pretty, depth + 1);
      lua_rawgeti(L, index, static_cast<lua_Integer>(i));
      encode_value(L, lua_gettop(L), out, pretty, depth + 1);
      lua_pop(L, 1);
    }
    if (length) newline(out, pretty, depth);
    out.push_back(']');
    return;
  }
  if (scratch.keys.size() <= static_cast<std::size_t>(depth)) scratch.keys.resize(depth + 1);
  std::vector<KeyEntry>& keys = scratch.keys[depth];
  keys.clear();
  lua_pushnil(L);
  while (lua_next(L, index)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING) {
      std::size_t size = 0;
      const char* text = lua_tolstring(L, -1, &size);  // a string key stays alive in the table
      keys.push_back({{text, size}, false, 0});
    } else if (lua_isinteger(L, -1)) {
      const lua_Integer n = lua_tointeger(L, -1);
      keys.push_back({scratch.integer_keys.emplace_back(std::to_string(n)), true, n});
    } else {
      luaL_error(L, "json.encode: object keys must be strings or integers, got %s", luaL_typename(L, -1));
    }
  }
  std::sort(keys.begin(), keys.end(), [](const KeyEntry& a, const KeyEntry& b) { return a.text < b.text; });
  out.push_back('{');
  for (std::size_t i = 0; i < scratch.keys[depth].size(); ++i) {
    const KeyEntry key = scratch.keys[depth][i];  // the vector may move while children encode
    if (i) out.push_back(',');
    newline(out, pretty, depth + 1);
    append_json_string(out, key.text);
    out += pretty ? ": " : ":";
    if (key.integer) {
      lua_rawgeti(L, index, key.number);
    } else {
      lua_pushlstring(L, key.text.data(), key.text.size());
      lua_rawget(L, index);
    }
    encode_value(L, lua_gettop(L), out, pretty, depth + 1);
    lua_pop(L, 1);
  }
  if (!scratch.keys[depth].empty()) newline(out, pretty, depth);
  out.push_back('}');
}

void encode_value(lua_State* L, int index, std::string& out, bool pretty, int depth) {
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      out += "null";
      return;
    case LUA_TBOOLEAN:
      out += lua_toboolean(L, index) ? "true" : "false";
      return;
    case LUA_TNUMBER: {
      char buffer[32];
      std::to_chars_result r;
      if (lua_isinteger(L, index)) {
        r = std::to_chars(buffer, buffer + sizeof buffer, lua_tointeger(L, index));
      } else {
        const double d = lua_tonumber(L, index);
        if (!std::isfinite(d)) luaL_error(L, "json.encode: %f cannot be represented in JSON", d);
        r = std::to_chars(buffer, buffer + sizeof buffer, d);
      }
      out.append(buffer, r.ptr);
      return;
    }
    case LUA_TSTRING: {
      std::size_t size = 0;
      const char* text = lua_tolstring(L, index, &size);
      append_json_string(out, {text, size});
      return;
    }
    case LUA_TTABLE:
      encode_table(L, index, out, pretty, depth);
      return;
    case LUA_TLIGHTUSERDATA:
      if (is_null(L, index)) {
        out += "null";
        return;
      }
      [[fallthrough]];
    default:
      luaL_error(L, "json.encode: cannot encode a %s value", luaL_typename(L, index));
  }
}

struct EncodedText {
  std::string text;
};

int json_encode_function(lua_State* L) {
  luaL_checkany(L, 1);
  bool pretty = false;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "pretty");
    pretty = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  std::string& out = new_box<EncodedText>(L, 0).text;
  json_encode(L, 1, out, pretty);
  push_string(L, out);
  return 1;
}

// ---- decoding ----

struct ParsedJson {
  boost::json::monotonic_resource resource;
  boost::json::value value;
};

void push_decoded(lua_State* L, const boost::json::value& value) {
  luaL_checkstack(L, 4, "json.decode: nested too deep");
  switch (value.kind()) {
    case boost::json::kind::null:
      push_null(L);
      return;
    case boost::json::kind::bool_:
      lua_pushboolean(L, value.get_bool());
      return;
    case boost::json::kind::int64:
      lua_pushinteger(L, value.get_int64());
      return;
    case boost::json::kind::uint64: {
      const std::uint64_t n = value.get_uint64();
      if (n <= static_cast<std::uint64_t>(LUA_MAXINTEGER)) {
        lua_pushinteger(L, static_cast<lua_Integer>(n));
      } else {
        lua_pushnumber(L, static_cast<lua_Number>(n));
      }
      return;
    }
    case boost::json::kind::double_:
      lua_pushnumber(L, value.get_double());
      return;
    case boost::json::kind::string: {
      const auto& s = value.get_string();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case boost::json::kind::array: {
      const auto& array = value.get_array();
      lua_createtable(L, static_cast<int>(array.size()), 0);
      lua_Integer i = 0;
      for (const auto& element : array) {
        push_decoded(L, element);
        lua_rawseti(L, -2, ++i);
      }
      return;
    }
    case boost::json::kind::object: {
      const auto& object = value.get_object();
      lua_createtable(L, 0, static_cast<int>(object.size()));
      for (const auto& member : object) {
        lua_pushlstring(L, member.key().data(), member.key().size());
        push_decoded(L, member.value());
        lua_rawset(L, -3);
      }
      lua_rawgetp(L, LUA_REGISTRYINDEX, &kObjectMarkKey);
      lua_setmetatable(L, -2);
      return;
    }
  }
}

int json_decode_function(lua_State* L) {
  const std::string_view text = check_string_view(L, 1);
  std::string error;
  if (push_json_value(L, text, error)) return 1;
  lua_pushnil(L);
  push_string(L, error);
  return 2;
}

int json_mark(lua_State* L, const char* key) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  lua_setmetatable(L, 1);
  return 1;
}

int json_object(lua_State* L) { return json_mark(L, &kObjectMarkKey); }
int json_array(lua_State* L) { return json_mark(L, &kArrayMarkKey); }

}  // namespace

void json_encode(lua_State* L, int index, std::string& out, bool pretty) {
  scratch.integer_keys.clear();
  encode_value(L, lua_absindex(L, index), out, pretty, 0);
}

bool push_json_value(lua_State* L, std::string_view text, std::string& error) {
  push_box_metatable<ParsedJson>(L, "json document");
  lua_pop(L, 1);
  ParsedJson& parsed = new_box<ParsedJson>(L, 0);  // owns the C++ tree while Lua tables are built
  const int box = lua_gettop(L);
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  parsed.value = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec,
                                    boost::json::storage_ptr(&parsed.resource), options);
  if (ec) {
    error = ec.message();
    lua_settop(L, box - 1);
    return false;
  }
  push_decoded(L, parsed.value);
  lua_remove(L, box);
  return true;
}

void open_json_module(lua_State* L) {
  push_box_metatable<EncodedText>(L, "json text");
  lua_pop(L, 1);
  for (const char* key : {&kObjectMarkKey, &kArrayMarkKey}) {
    lua_createtable(L, 0, 1);
    lua_pushstring(L, key == &kObjectMarkKey ? "json object" : "json array");
    lua_setfield(L, -2, "__name");
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
  }
  static const luaL_Reg functions[] = {
      {"encode", guarded<json_encode_function>}, {"decode", guarded<json_decode_function>},
      {"object", guarded<json_object>},          {"array", guarded<json_array>},
      {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  push_null(L);
  lua_setfield(L, -2, "null");
  set_global_module(L, "json");
}

}  // namespace artery::lua
