// Reading artery.yaml. Paths written in it are relative to its folder, so the
// engine behaves the same whatever directory it is started from.
#include "config/engine_config.hpp"

#include <artery/http_server.hpp>

#include "config/map_fields.hpp"
#include "config/option_value.hpp"
#include "config/yaml_source.hpp"

namespace artery {
namespace {

const std::vector<std::string> kEngineKeys = {"channels", "data",      "plugins", "http",
                                              "durability", "lua",    "log_level", "admin"};
const std::vector<std::string> kLuaKeys = {"instructions", "memory"};
const std::vector<std::string> kAdminKeys = {"session_idle", "session_absolute"};

}  // namespace

std::optional<EngineConfig> load_engine_config(const std::filesystem::path& file, Diagnostics& diagnostics) {
  config::YamlSource source(file, diagnostics);
  if (!source.parse()) return std::nullopt;
  EngineConfig out;
  const YAML::Node& root = source.root();
  if (root.IsNull()) return out;  // an empty artery.yaml: all defaults
  YAML::Mark root_mark = config::YamlSource::mark_of(root);
  if (!root.IsMap()) {
    source.error(root_mark, "engine config must be a map of keys, got " + config::describe_value(root));
    return std::nullopt;
  }
  config::MapFields fields(root, root_mark, "engine config", kEngineKeys, source);

  auto read_path = [&](const char* key, std::filesystem::path& target) {
    auto written = fields.string(key);
    if (!written) return;
    if (written->empty()) {
      fields.error(fields.find(key)->value, "'" + std::string(key) + "' is an empty path");
      return;
    }
    target = source.resolve(*written);
  };
  read_path("channels", out.channels_dir);
  read_path("data", out.data_dir);
  read_path("plugins", out.plugins_dir);

  if (const config::MapEntry* http = fields.find("http")) {
    // Checked now so a typo fails `artery validate`, not start-up.
    if (!http->value.IsScalar() || !parse_http_listen(http->value.Scalar()))
      fields.error(http->value.IsNull() ? http->key_node : http->value,
                   "wrong value for 'http' in engine config: expected an address such as 127.0.0.1:8080, or off");
    else
      out.http = http->value.Scalar();
  }
  if (auto durability = fields.choice("durability", "enum:normal|fsync"))
    out.durability = *durability == "fsync" ? Durability::fsync : Durability::normal;
  if (auto level = fields.choice("log_level", "enum:debug|info|warn|error")) out.log_level = *level;

  if (const config::MapEntry* lua = fields.find("lua")) {
    config::MapFields lua_fields(lua->value, config::YamlSource::mark_of(lua->key_node), "lua", kLuaKeys, source);
    if (auto instructions = lua_fields.integer("instructions", 1))
      out.lua_limits.instructions = static_cast<std::uint64_t>(*instructions);
    if (auto memory = lua_fields.size("memory")) {
      // Below ~1 MiB the Lua state cannot even load the standard libraries.
      if (*memory < (1u << 20))
        lua_fields.error(lua_fields.find("memory")->value, "'memory' in lua must be at least 1MiB");
      else
        out.lua_limits.memory_bytes = static_cast<std::size_t>(*memory);
    }
  }

  if (const config::MapEntry* admin = fields.find("admin")) {
    config::MapFields admin_fields(admin->value, config::YamlSource::mark_of(admin->key_node), "admin", kAdminKeys,
                                   source);
    if (auto idle = admin_fields.duration("session_idle")) out.admin.session_idle = *idle;
    if (auto absolute = admin_fields.duration("session_absolute")) out.admin.session_absolute = *absolute;
    if (out.admin.session_idle.count() <= 0 || out.admin.session_absolute.count() <= 0)
      admin_fields.error(admin->value, "session lifetimes in admin must be longer than 0");
    else if (out.admin.session_idle > out.admin.session_absolute)
      admin_fields.error(admin_fields.find("session_idle") ? admin_fields.find("session_idle")->value : admin->value,
                         "'session_idle' in admin (default 8h) is longer than 'session_absolute' (default 24h)");
  }

  if (source.error_count() > 0) return std::nullopt;
  return out;
}

}  // namespace artery
