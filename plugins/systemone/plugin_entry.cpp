// The loadable form's only export: the systemone plugin's descriptor.
#include "systemone_destination.hpp"
#include "systemone_settings.hpp"
#include "systemone_source.hpp"

#include <artery/plugin.hpp>
#include <artery/version.hpp>

namespace {

std::unique_ptr<artery::Source> create_source(const artery::ConnectorOptions& options, artery::ConnectorContext& context,
                                              std::string& error) noexcept {
  return artery::guarded_create(error, [&]() -> std::unique_ptr<artery::Source> {
    return artery::systemone::make_systemone_source(options, context);
  });
}

std::unique_ptr<artery::Destination> create_destination(const artery::ConnectorOptions& options,
                                                        artery::ConnectorContext& context,
                                                        std::string& error) noexcept {
  return artery::guarded_create(error, [&]() -> std::unique_ptr<artery::Destination> {
    return artery::systemone::make_systemone_destination(options, context);
  });
}

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept {
  static const artery::PluginDescriptor descriptor = [] {
    auto source = artery::systemone::source_option_specs();
    auto destination = artery::systemone::destination_option_specs();
    return artery::PluginDescriptor{
        artery::kApiMajor,
        artery::kApiMinor,
      &artery::kBuildFingerprint,
        "systemone",
        artery::kEngineVersion,
        "SystmOne client-integration XML over TCP (newline-framed ClientIntegrationRequest/Response)",
        artery::data_type::xml,
        source.data(),
        source.size(),
        destination.data(),
        destination.size(),
        &create_source,
        &create_destination,
    };
  }();
  return &descriptor;
}
