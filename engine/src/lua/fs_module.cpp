// The `fs` module, present only when the channel grants fs_roots. Every path is
// resolved (relative ones against the first root, symlinks followed by
// weakly_canonical) and must stay inside a root, so neither "../" nor a
// symlink leads a script outside. I/O failures return nil, message.
#include "lua/modules.hpp"
#include "lua/sandbox_state.hpp"

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

namespace artery::lua {
namespace {

namespace fs = std::filesystem;

bool inside(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // trailing separator of a root
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

// The resolved path for argument `index`; raises when it is outside every root.
fs::path resolve(lua_State* L, int index) {
  const std::string_view text = check_string_view(L, index);
  const SandboxState& state = sandbox_state(L);
  std::string error;
  {
    fs::path path(text);
    if (path.is_relative()) path = state.fs_roots.front() / path;
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(path, ec);
    if (ec) {
      error = "fs: cannot resolve " + std::string(text) + ": " + ec.message();
    } else {
      for (const auto& root : state.fs_roots)
        if (inside(resolved, root)) return resolved;
      error = "fs: path outside allowed directories: " + std::string(text);
    }
  }
  raise_error(L, error);
}

int fail(lua_State* L, const std::string& message) {
  lua_pushnil(L);
  push_string(L, message);
  return 2;
}

int fs_read(lua_State* L) {
  const fs::path path = resolve(L, 1);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(L, "fs.read: cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  push_string(L, text.str());
  return 1;
}

// Writes through a temporary file in the same directory and renames it over
// the target, so readers never see a half-written file.
int fs_write(lua_State* L) {
  const fs::path path = resolve(L, 1);
  const std::string_view data = check_string_view(L, 2);
  std::random_device random;
  fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".tmp" + std::to_string(random()));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return fail(L, "fs.write: cannot create " + temporary.string());
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return fail(L, "fs.write: cannot write " + temporary.string());
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return fail(L, "fs.write: cannot replace " + path.string() + ": " + ec.message());
  }
  lua_pushboolean(L, 1);
  return 1;
}

int fs_append(lua_State* L) {
  const fs::path path = resolve(L, 1);
  const std::string_view data = check_string_view(L, 2);
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) return fail(L, "fs.append: cannot open " + path.string());
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return fail(L, "fs.append: cannot write " + path.string());
  lua_pushboolean(L, 1);
  return 1;
}

int fs_exists(lua_State* L) {
  const fs::path path = resolve(L, 1);
  std::error_code ec;
  lua_pushboolean(L, fs::exists(path, ec));
  return 1;
}

int fs_list(lua_State* L) {
  const fs::path path = resolve(L, 1);
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) return fail(L, "fs.list: " + path.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  lua_createtable(L, static_cast<int>(names.size()), 0);
  for (std::size_t i = 0; i < names.size(); ++i) {
    push_string(L, names[i]);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 1;
}

int fs_mkdir(lua_State* L) {
  const fs::path path = resolve(L, 1);
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(L, "fs.mkdir: " + path.string() + ": " + ec.message());
  lua_pushboolean(L, 1);
  return 1;
}

int fs_remove(lua_State* L) {
  const fs::path path = resolve(L, 1);
  std::error_code ec;
  const bool removed = fs::remove(path, ec);
  if (ec) return fail(L, "fs.remove: " + path.string() + ": " + ec.message());
  lua_pushboolean(L, removed);
  return 1;
}

}  // namespace

void open_fs_module(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"read", guarded<fs_read>},     {"write", guarded<fs_write>}, {"append", guarded<fs_append>},
      {"exists", guarded<fs_exists>}, {"list", guarded<fs_list>},   {"mkdir", guarded<fs_mkdir>},
      {"remove", guarded<fs_remove>}, {nullptr, nullptr},
  };
  luaL_newlib(L, functions);
  set_global_module(L, "fs");
}

}  // namespace artery::lua
