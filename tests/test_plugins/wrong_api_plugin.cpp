// A plugin that claims a future API major: the loader must refuse it.
#include <artery/plugin.hpp>

namespace {
std::unique_ptr<artery::Destination> make(const artery::ConnectorOptions&, artery::ConnectorContext&,
                                          std::string&) noexcept {
  return nullptr;
}
const artery::PluginDescriptor descriptor{99, 0, &artery::kBuildFingerprint, "from-the-future", "9.9.9",
                                          "built against another API", "text", nullptr, 0, nullptr, 0,
                                          nullptr, &make};
}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept { return &descriptor; }
