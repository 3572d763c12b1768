// A well-formed plugin built with another compiler (clang++, where the engine
// is built with g++): the loader must refuse it by its build fingerprint,
// before calling its factory, and say what differs.
#include <artery/plugin.hpp>

#include <cstdlib>

namespace {
std::unique_ptr<artery::Destination> make(const artery::ConnectorOptions&, artery::ConnectorContext&,
                                          std::string&) noexcept {
  std::abort();  // never reached: a refused plugin is never called
}
const artery::PluginDescriptor descriptor{artery::kApiMajor, artery::kApiMinor, &artery::kBuildFingerprint,
                                          "other-compiler", "1.0.0", "built with clang++", "text", nullptr, 0,
                                          nullptr, 0, nullptr, &make};
}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept { return &descriptor; }
