#include "plugin/plugins_reload_outcome.hpp"

namespace artery {

std::string PluginsReloadOutcome::summary() const {
  std::string out;
  auto add = [&out](const std::string& line) { out += (out.empty() ? "" : "; ") + line; };
  for (const auto& refusal : plugins.refused) add("refused " + refusal.file.string() + ": " + refusal.reason);
  for (const auto& channel : kept) add("channel " + channel.channel + " stays on the previous version: " + channel.reason);
  for (const auto& channel : failed) add("channel " + channel.channel + " failed to start: " + channel.reason);
  if (!out.empty()) return out;
  const auto changed = plugins.changed();
  if (changed.empty()) return "no plugin changed";
  for (const auto& name : changed) out += (out.empty() ? "changed: " : ", ") + name;
  if (!redeployed.empty()) {
    out += "; redeployed: ";
    for (std::size_t i = 0; i < redeployed.size(); ++i) out += (i ? ", " : "") + redeployed[i];
  }
  return out;
}

}  // namespace artery
