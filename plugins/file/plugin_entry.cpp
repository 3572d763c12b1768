// The loadable form's one exported symbol: the file plugin's descriptor.
#include "file_connectors.hpp"
#include "file_option_specs.hpp"

#include <artery/plugin.hpp>
#include <artery/version.hpp>

namespace {

const artery::PluginDescriptor kDescriptor{
    artery::kApiMajor,
    artery::kApiMinor,
      &artery::kBuildFingerprint,
    "file",
    "0.1.0",
    "Reads messages from files in a polled folder; writes messages to files named by ${var} templates.",
    artery::data_type::text,
    artery::file_connector::kSourceOptions,
    artery::file_connector::kSourceOptionCount,
    artery::file_connector::kDestinationOptions,
    artery::file_connector::kDestinationOptionCount,
    &artery::file_connector::create_source,
    &artery::file_connector::create_destination,
};

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept { return &kDescriptor; }
