// The `deid` module: de-identification of HL7 v2 and FHIR for scripts
// (rules in engine/src/deid/, documented in docs/lua-api.md and
// docs/security.md). A profile is compiled once by deid.profile() and used
// for any number of messages; a profile given as a table or path to hl7/fhir
// is compiled on each call.
#include "deid/deidentify.hpp"
#include "deid/keyed_hash.hpp"
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <optional>
#include <stdexcept>

namespace artery::lua {
namespace {

struct DeidProfile {
  explicit DeidProfile(deid::Profile p) : profile(std::move(p)) {}
  deid::Profile profile;
};

// A relative profile path is looked up in the script's module folders (the
// ones require() uses), so it can sit beside the script.
std::filesystem::path find_profile(lua_State* L, const std::string& name) {
  std::filesystem::path path = name;
  if (path.is_absolute()) return path;
  std::error_code ec;
  for (const auto& dir : sandbox_state(L).module_paths)
    if (std::filesystem::is_regular_file(dir / path, ec)) return dir / path;
  throw std::runtime_error("deid.profile: " + name + " not found in the script module paths");
}

std::vector<std::string> string_list(lua_State* L, int index, const char* what) {
  std::vector<std::string> out;
  if (!lua_istable(L, index)) throw std::runtime_error(std::string("deid profile: ") + what + " must be a list");
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, index));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, index, i);
    if (!lua_isstring(L, -1)) throw std::runtime_error(std::string("deid profile: ") + what + " holds a non-string");
    out.emplace_back(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return out;
}

deid::Profile profile_from_table(lua_State* L, int index) {
  index = lua_absindex(L, index);
  deid::ProfileSettings s;
  if (!sandbox_state(L).module_paths.empty()) s.base = sandbox_state(L).module_paths.front();
  lua_pushnil(L);
  while (lua_next(L, index)) {
    if (lua_type(L, -2) != LUA_TSTRING) throw std::runtime_error("deid profile: keys must be strings");
    const std::string key = lua_tostring(L, -2);
    if (key == "keep") {
      s.keep = string_list(L, -1, "keep");
    } else if (key == "modes") {
      if (!lua_istable(L, -1)) throw std::runtime_error("deid profile: modes must be a table of class = mode");
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
          throw std::runtime_error("deid profile: modes must map class names to mode names");
        s.modes[lua_tostring(L, -2)] = lua_tostring(L, -1);
        lua_pop(L, 1);
      }
    } else if (key == "key") {
      throw std::runtime_error("deid profile: a literal key is not accepted; use key_env or key_file");
    } else {
      if (!lua_isstring(L, -1)) throw std::runtime_error("deid profile: " + key + " must be a string or number");
      s.values[key] = lua_tostring(L, -1);
    }
    lua_pop(L, 1);
  }
  return deid::build_profile(s);
}

// The profile argument at `index`: a compiled profile (borrowed), or a table or
// path compiled into `storage`.
const deid::Profile& profile_arg(lua_State* L, int index, std::optional<deid::Profile>& storage) {
  if (auto* box = test_box<DeidProfile>(L, index)) return box->profile;
  if (lua_istable(L, index)) return storage.emplace(profile_from_table(L, index));
  if (lua_type(L, index) == LUA_TSTRING) return storage.emplace(deid::load_profile_file(find_profile(L, lua_tostring(L, index))));
  throw std::runtime_error(std::string("deid: bad profile argument (a deid.profile, a table or a path expected, got ") +
                           luaL_typename(L, index) + ")");
}

int deid_profile(lua_State* L) {
  std::optional<deid::Profile> storage;
  const deid::Profile& p = profile_arg(L, 1, storage);
  new_box<DeidProfile>(L, 0, p);
  return 1;
}

int deid_hl7(lua_State* L) {
  std::string text;
  if (!encode_hl7_object(L, 1, text, nullptr)) text = std::string(check_string_view(L, 1));
  std::string result;
  std::string error;
  {
    std::optional<deid::Profile> storage;
    const deid::Profile& profile = profile_arg(L, 2, storage);
    try {
      result = deid::deidentify_hl7(text, profile);
    } catch (const std::invalid_argument& e) {
      error = std::string("deid.hl7: ") + e.what();
    }
  }
  if (!error.empty()) {
    lua_pushnil(L);
    push_string(L, error);
    return 2;
  }
  push_string(L, result);
  return 1;
}

int deid_fhir(lua_State* L) {
  const bool table = lua_istable(L, 1);
  std::string text;
  if (table) json_encode(L, 1, text, false);
  else text = std::string(check_string_view(L, 1));
  std::string result;
  std::string error;
  {
    std::optional<deid::Profile> storage;
    const deid::Profile& profile = profile_arg(L, 2, storage);
    try {
      result = deid::deidentify_fhir(text, profile);
    } catch (const std::invalid_argument& e) {
      error = std::string("deid.fhir: ") + e.what();
    }
  }
  if (!error.empty()) {
    lua_pushnil(L);
    push_string(L, error);
    return 2;
  }
  if (!table) {
    push_string(L, result);
    return 1;
  }
  if (!push_json_value(L, result, error)) throw std::runtime_error("deid.fhir: " + error);
  return 1;
}

// deid.pseudonym(value, profile): the pseudonym an identifier gets, e.g. to
// name an output file by patient without the patient's id.
int deid_pseudonym(lua_State* L) {
  const std::string value(check_string_view(L, 1));
  std::string result;
  {
    std::optional<deid::Profile> storage;
    const deid::Profile& profile = profile_arg(L, 2, storage);
    result = deid::KeyedHash(profile.key).pseudonym("id", value);
  }
  push_string(L, result);
  return 1;
}

}  // namespace

void open_deid_module(lua_State* L) {
  push_box_metatable<DeidProfile>(L, "deid profile");
  lua_pop(L, 1);
  static const luaL_Reg functions[] = {
      {"profile", guarded<deid_profile>},
      {"hl7", guarded<deid_hl7>},
      {"fhir", guarded<deid_fhir>},
      {"pseudonym", guarded<deid_pseudonym>},
      {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  set_global_module(L, "deid");
}

}  // namespace artery::lua
