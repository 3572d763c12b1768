// The plugins as the admin API shows them (GET /api/plugins, POST
// /api/plugins/reload): one shape for a loaded plugin and one for a reload.
#pragma once
#include "plugin/plugin_registry.hpp"
#include "plugin/plugins_reload_outcome.hpp"

#include <boost/json/object.hpp>

namespace artery::admin {

// JSON Schema (OpenAPI) text of plugin_reload_json(), and of the outcome's extra fields.
#define ARTERY_PLUGIN_RELOAD_FIELDS                                                                              \
  R"("at_ms":{"type":"integer"},"ok":{"type":"boolean"},"replaced":{"type":"array","items":{"type":"string"}},)" \
  R"("added":{"type":"array","items":{"type":"string"}},"removed":{"type":"array","items":{"type":"string"}},)"  \
  R"("refused":{"type":"array","items":{"type":"object","properties":{"file":{"type":"string"},"reason":{"type":"string"}}}})"

boost::json::object plugin_json(const LoadedPlugin& plugin);
boost::json::object retired_plugin_json(const RetiredPlugin& plugin);
boost::json::object plugin_reload_json(const PluginReload& reload);
// The reload's JSON plus what it did to the channels.
boost::json::object plugins_reload_outcome_json(const PluginsReloadOutcome& outcome);

}  // namespace artery::admin
