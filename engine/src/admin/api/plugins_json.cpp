#include "admin/api/plugins_json.hpp"

#include <boost/json.hpp>

namespace artery::admin {
namespace {

boost::json::array option_names(const ConnectorSchema& schema) {
  boost::json::array out;
  for (const auto& option : schema.options) {
    boost::json::object one{{"key", option.key},
                            {"type", option.type},
                            {"required", option.required},
                            {"description", option.description ? option.description : ""}};
    if (option.default_value) one["default"] = option.default_value;
    out.push_back(std::move(one));
  }
  return out;
}

boost::json::array names(const std::vector<std::string>& list) {
  boost::json::array out;
  for (const auto& name : list) out.emplace_back(name);
  return out;
}

boost::json::array refusals(const std::vector<PluginFileRefusal>& list) {
  boost::json::array out;
  for (const auto& refusal : list)
    out.push_back(boost::json::object{{"file", refusal.file.string()}, {"reason", refusal.reason}});
  return out;
}

boost::json::array problems(const std::vector<ChannelReloadProblem>& list) {
  boost::json::array out;
  for (const auto& problem : list)
    out.push_back(boost::json::object{{"channel", problem.channel}, {"reason", problem.reason}});
  return out;
}

}  // namespace

boost::json::object plugin_json(const LoadedPlugin& plugin) {
  const auto* d = plugin.descriptor;
  boost::json::object one{{"name", plugin.name},
                          {"version", plugin.version},
                          {"description", plugin.description},
                          {"api", std::to_string(d->api_major) + "." + std::to_string(d->api_minor)},
                          {"builtin", plugin.file.empty()},
                          {"file", plugin.file.string()},
                          {"copy", plugin.copy.string()},
                          {"sha256", plugin.sha256},
                          {"loaded_at_ms", plugin.loaded_at_ms},
                          {"source", plugin.has_source()},
                          {"destination", plugin.has_destination()}};
  if (plugin.last_reload.at_ms == 0) {
    one["last_reload"] = nullptr;
  } else {
    boost::json::object last{{"at_ms", plugin.last_reload.at_ms},
                             {"ok", plugin.last_reload.ok},
                             {"detail", plugin.last_reload.detail}};
    if (!plugin.last_reload.ok) last["error"] = plugin.last_reload.detail;
    one["last_reload"] = std::move(last);
  }
  if (plugin.has_source()) one["source_options"] = option_names(*plugin.source_schema);
  if (plugin.has_destination()) one["destination_options"] = option_names(*plugin.destination_schema);
  return one;
}

boost::json::object retired_plugin_json(const RetiredPlugin& plugin) {
  return {{"name", plugin.name},
          {"version", plugin.version},
          {"copy", plugin.copy.string()},
          {"retired_at_ms", plugin.retired_at_ms},
          {"in_use", plugin.in_use},
          {"still_mapped", plugin.still_mapped}};
}

boost::json::object plugin_reload_json(const PluginReload& reload) {
  return {{"at_ms", reload.at_ms},          {"ok", reload.ok()},
          {"replaced", names(reload.replaced)}, {"added", names(reload.added)},
          {"removed", names(reload.removed)},   {"refused", refusals(reload.refused)}};
}

boost::json::object plugins_reload_outcome_json(const PluginsReloadOutcome& outcome) {
  auto out = plugin_reload_json(outcome.plugins);
  out["ok"] = outcome.ok();
  out["redeployed"] = names(outcome.redeployed);
  out["kept"] = problems(outcome.kept);
  out["failed"] = problems(outcome.failed);
  return out;
}

}  // namespace artery::admin
