// Reading artery.yaml. Paths written in it are relative to its folder, so the
// engine behaves the same whatever directory it is started from.
#include "config/engine_config.hpp"

#include <artery/http_server.hpp>
#include <artery/option_reader.hpp>

#include "cluster/cluster_settings.hpp"
#include "config/connector_options_check.hpp"
#include "config/map_fields.hpp"
#include "config/option_value.hpp"
#include "config/yaml_source.hpp"
#include "notify/notify_options.hpp"

#include <charconv>

namespace artery {
namespace {

const std::vector<std::string> kEngineKeys = {"channels",  "data",  "plugins", "http",          "durability", "lua",
                                              "log_level", "admin", "alerts",  "metrics_public", "reload",
                                              "storage",       "cluster"};
const std::vector<std::string> kStorageKeys = {"encrypt", "key_file"};
const std::vector<std::string> kReloadKeys = {"watch", "debounce"};
const std::vector<std::string> kLuaKeys = {"instructions", "memory"};
const std::vector<std::string> kAdminKeys = {"session_idle", "session_absolute"};
const std::vector<std::string> kAlertsKeys = {"interval", "targets", "rules"};
const std::vector<std::string> kAlertRuleKeys = {"name",  "channel",      "errors", "queue_depth", "oldest_queued",
                                                 "state", "quiet_period", "for",    "notify"};
const std::vector<std::string> kErrorsKeys = {"count", "window"};
const std::vector<std::string> kConditionKeys = {"errors", "queue_depth", "oldest_queued", "state"};

// OptionReader's messages start with the key's "file:line:col: ".
Diagnostic located(const std::string& text, const std::string& fallback) {
  Diagnostic d;
  auto split = [&](const std::string& where, std::string message) {
    const auto col = where.rfind(':');
    const auto line = col == std::string::npos || col == 0 ? std::string::npos : where.rfind(':', col - 1);
    if (line == std::string::npos) return false;
    auto l = std::from_chars(where.data() + line + 1, where.data() + col, d.line);
    auto c = std::from_chars(where.data() + col + 1, where.data() + where.size(), d.column);
    if (l.ec != std::errc{} || c.ec != std::errc{} || l.ptr != where.data() + col ||
        c.ptr != where.data() + where.size())
      return false;
    d.file = where.substr(0, line);
    d.message = std::move(message);
    return true;
  };
  for (auto sep = text.find(": "); sep != std::string::npos; sep = text.find(": ", sep + 2))
    if (split(text.substr(0, sep), text.substr(sep + 2))) return d;
  d = {};
  if (!split(fallback, text)) d.file = fallback, d.message = text;
  return d;
}

bool valid_alert_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

// alerts.targets: name -> {type: webhook|email, ...the destination's keys}.
void read_alert_targets(const config::MapEntry& entry, config::YamlSource& source, AlertsConfig& out) {
  config::MapFields targets(entry.value, config::YamlSource::mark_of(entry.key_node), "alerts.targets", {}, source);
  for (const auto& target : targets.entries()) {
    const std::string what = "alert target '" + target.key + "'";
    if (!valid_alert_name(target.key)) {
      source.error(target.key_node, "invalid alert target name '" + target.key +
                                        "': use lowercase letters, digits, '-' and '_'");
      continue;
    }
    const YAML::Mark anchor = config::YamlSource::mark_of(target.key_node);
    config::MapFields fields(target.value, anchor, what, {}, source);
    if (!fields.valid()) continue;
    auto type = fields.choice("type", "enum:webhook|email");
    if (!type) {
      if (!fields.find("type")) fields.require("type");
      continue;
    }
    AlertTarget t;
    t.name = target.key;
    t.type = *type;
    t.base_dir = source.absolute_dir();
    const std::size_t errors_before = source.error_count();
    t.options = config::check_connector_options(target.value, anchor, *alert_target_schema(*type), {"type"},
                                                *type + " " + what, source);
    // The same reader the sender uses, so a bad URL or a lone tls.cert fails here.
    std::string problem;
    const bool readable = *type == "webhook" ? notify::read_webhook_settings(t.options, t.base_dir, problem).has_value()
                                             : notify::read_email_settings(t.options, t.base_dir, problem).has_value();
    if (!readable && source.error_count() == errors_before) {  // not already reported by the key check
      source.error_in(located(problem, source.location(anchor)));
      continue;
    }
    out.targets.push_back(std::move(t));
  }
}

void read_alert_rule(const YAML::Node& item, config::YamlSource& source, AlertsConfig& out) {
  const YAML::Mark anchor = config::YamlSource::mark_of(item);
  config::MapFields fields(item, anchor, "alert rule", kAlertRuleKeys, source);
  if (!fields.valid()) return;
  AlertRule rule;
  rule.location = source.location(anchor);
  if (auto name = fields.string("name")) {
    if (!valid_alert_name(*name))
      fields.error(fields.find("name")->value,
                   "invalid alert rule name '" + *name + "': use lowercase letters, digits, '-' and '_'");
    rule.name = *name;
  } else if (!fields.find("name")) {
    fields.require("name");
  }
  if (auto channel = fields.string("channel")) rule.channel = *channel;
  else if (!fields.find("channel")) fields.require("channel");

  std::vector<const config::MapEntry*> conditions;
  for (const auto& key : kConditionKeys)
    if (const auto* entry = fields.find(key)) conditions.push_back(entry);
  if (conditions.empty())
    source.error(anchor, "alert rule '" + rule.name + "' needs one condition: errors, queue_depth, oldest_queued or state");
  if (conditions.size() > 1)
    fields.error(conditions[1]->key_node, "alert rule '" + rule.name + "' has more than one condition ('" +
                                              conditions[0]->key + "' and '" + conditions[1]->key +
                                              "'): write one rule per condition");
  if (conditions.size() == 1) {
    const std::string& key = conditions[0]->key;
    if (key == "errors") {
      rule.condition.kind = AlertCondition::Kind::errors;
      config::MapFields errors(conditions[0]->value, config::YamlSource::mark_of(conditions[0]->key_node), "errors",
                               kErrorsKeys, source);
      if (errors.valid()) {
        if (auto count = errors.integer("count", 1)) rule.condition.count = *count;
        else if (!errors.find("count")) errors.require("count");
        if (auto window = errors.duration("window")) {
          if (window->count() <= 0) errors.error(errors.find("window")->value, "'window' in errors must be more than 0");
          rule.condition.window = *window;
        } else if (!errors.find("window")) {
          errors.require("window");
        }
      }
    } else if (key == "queue_depth") {
      rule.condition.kind = AlertCondition::Kind::queue_depth;
      if (auto depth = fields.integer("queue_depth", 1)) rule.condition.count = *depth;
    } else if (key == "oldest_queued") {
      rule.condition.kind = AlertCondition::Kind::oldest_queued;
      if (auto age = fields.duration("oldest_queued")) {
        if (age->count() <= 0) fields.error(conditions[0]->value, "'oldest_queued' must be more than 0");
        rule.condition.window = *age;
      }
    } else {
      rule.condition.kind = AlertCondition::Kind::not_started;
      fields.choice("state", "enum:not_started");
    }
  }
  if (auto hold = fields.duration("for")) rule.hold = *hold;
  if (auto quiet = fields.duration("quiet_period")) rule.quiet_period = *quiet;

  if (const auto* notify = fields.find("notify")) {
    if (notify->value.IsScalar()) {
      rule.notify.push_back(notify->value.Scalar());
    } else if (notify->value.IsSequence()) {
      for (const auto& target : notify->value) {
        if (!target.IsScalar()) {
          fields.error(target, "'notify' in alert rule lists target names, got " + config::describe_value(target));
          continue;
        }
        rule.notify.push_back(target.Scalar());
      }
    } else {
      fields.error(notify->value, "'notify' in alert rule must be a target name or a list of them, got " +
                                      config::describe_value(notify->value));
    }
    // Targets are read before rules, so a name is checked against all of them.
    std::size_t i = 0;
    for (const auto& name : rule.notify) {
      bool known = false;
      for (const auto& t : out.targets) known = known || t.name == name;
      const YAML::Node at = notify->value.IsSequence() ? notify->value[i] : notify->value;
      if (!known) fields.error(at, "unknown alert target '" + name + "' in alert rule '" + rule.name + "'");
      ++i;
    }
  }
  for (const auto& other : out.rules)
    if (other.name == rule.name && !rule.name.empty())
      fields.error(fields.find("name")->value, "duplicate alert rule name '" + rule.name + "' (first at " +
                                                   other.location + ")");
  out.rules.push_back(std::move(rule));
}

// `http: {listen: ADDR, tls: {...}}`: the same TLS keys, reader and checks as
// every listening source, so the admin server is configured like a channel.
void read_http_block(const config::MapEntry& entry, config::YamlSource& source, EngineConfig& out) {
  static const ConnectorSchema schema = [] {
    ConnectorSchema s;
    s.options = {{"listen", "string", "127.0.0.1:8080", false, "Address of the admin API and console, or off"},
                 ARTERY_LISTENER_TLS_OPTIONS};
    return s;
  }();
  const YAML::Mark anchor = config::YamlSource::mark_of(entry.key_node);
  const std::size_t errors_before = source.error_count();
  const ConnectorOptions options =
      config::check_connector_options(entry.value, anchor, schema, {}, "http", source);
  if (source.error_count() != errors_before) return;
  OptionReader read(options, schema.options.data(), schema.options.size());
  const std::string listen = read.string("listen");
  if (!parse_http_listen(listen))
    read.fail("listen", "expected an address such as 127.0.0.1:8443, or off, got '" + listen + "'");
  out.http_tls = read_listener_tls(read, source.absolute_dir());
  if (!read.ok()) {
    source.error_in(located(read.error(), source.location(anchor)));
    return;
  }
  out.http = listen;
}

void read_alerts(const config::MapEntry& entry, config::YamlSource& source, AlertsConfig& out) {
  config::MapFields fields(entry.value, config::YamlSource::mark_of(entry.key_node), "alerts", kAlertsKeys, source);
  if (!fields.valid()) return;
  if (auto interval = fields.duration("interval")) {
    if (interval->count() < 100) fields.error(fields.find("interval")->value, "'interval' in alerts must be at least 100ms");
    else out.interval = *interval;
  }
  if (const auto* targets = fields.find("targets")) read_alert_targets(*targets, source, out);
  if (const auto* rules = fields.find("rules")) {
    if (rules->value.IsNull()) return;
    if (!rules->value.IsSequence()) {
      fields.error(rules->value, "'rules' in alerts must be a list, got " + config::describe_value(rules->value));
      return;
    }
    for (const auto& item : rules->value) read_alert_rule(item, source, out);
  }
}

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

  if (const config::MapEntry* http = fields.find("http"); http && http->value.IsMap()) {
    read_http_block(*http, source, out);
  } else if (http) {
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
  if (auto open = fields.boolean("metrics_public")) out.metrics_public = *open;

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
  if (const config::MapEntry* alerts = fields.find("alerts")) read_alerts(*alerts, source, out.alerts);
  if (const config::MapEntry* cluster = fields.find("cluster")) out.cluster = read_cluster_settings(*cluster, source);
  if (const config::MapEntry* reload = fields.find("reload")) {
    config::MapFields reload_fields(reload->value, config::YamlSource::mark_of(reload->key_node), "reload",
                                    kReloadKeys, source);
    if (auto watch = reload_fields.boolean("watch")) out.reload.watch = *watch;
    if (auto debounce = reload_fields.duration("debounce")) out.reload.debounce = *debounce;
  }

  if (const config::MapEntry* storage = fields.find("storage")) {
    config::MapFields storage_fields(storage->value, config::YamlSource::mark_of(storage->key_node), "storage",
                                     kStorageKeys, source);
    if (auto encrypt = storage_fields.boolean("encrypt")) out.storage.encrypt = *encrypt;
    if (auto key_file = storage_fields.string("key_file")) {
      if (key_file->empty()) storage_fields.error(storage_fields.find("key_file")->value, "'key_file' is an empty path");
      else out.storage.key_file = source.resolve(*key_file);
    }
  }

  if (source.error_count() > 0) return std::nullopt;
  return out;
}

}  // namespace artery
