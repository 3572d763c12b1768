// The loadable form's one exported symbol: what the engine reads first.
#include <artery/plugin.hpp>
#include <artery/version.hpp>

#include "mllp_destination.hpp"
#include "mllp_options.hpp"
#include "mllp_source.hpp"

namespace {

std::unique_ptr<artery::Source> make_source(const artery::ConnectorOptions& options,
                                            artery::ConnectorContext& context, std::string& error) noexcept {
  return artery::mllp::create_mllp_source(options, context, error);
}

std::unique_ptr<artery::Destination> make_destination(const artery::ConnectorOptions& options,
                                                      artery::ConnectorContext& context,
                                                      std::string& error) noexcept {
  return artery::mllp::create_mllp_destination(options, context, error);
}

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept {
  static const artery::PluginDescriptor descriptor{
      artery::kApiMajor,
      artery::kApiMinor,
      &artery::kBuildFingerprint,
      "mllp",
      artery::kEngineVersion,
      "HL7 v2 over MLLP: listener that acknowledges after commit, and sender that waits for the matching ACK",
      artery::data_type::hl7v2,
      artery::mllp::kSourceOptions,
      artery::mllp::kSourceOptionCount,
      artery::mllp::kDestinationOptions,
      artery::mllp::kDestinationOptionCount,
      &make_source,
      &make_destination,
  };
  return &descriptor;
}
