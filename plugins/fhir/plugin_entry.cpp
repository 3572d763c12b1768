// The loadable form's one exported symbol: the fhir plugin's descriptor.
#include "fhir_connectors.hpp"
#include "fhir_options.hpp"

#include <artery/plugin.hpp>
#include <artery/version.hpp>

namespace {

const artery::PluginDescriptor kDescriptor{
    artery::kApiMajor,
    artery::kApiMinor,
    &artery::kBuildFingerprint,
    "fhir",
    "0.1.0",
    "FHIR R4 over HTTP: a REST listener that can keep a versioned repository, a polling source, and a client "
    "destination with OAuth2 and SMART Backend Services.",
    artery::data_type::json,
    artery::fhir::kSourceOptions,
    artery::fhir::kSourceOptionCount,
    artery::fhir::kDestinationOptions,
    artery::fhir::kDestinationOptionCount,
    &artery::fhir::create_source,
    &artery::fhir::create_destination,
};

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept { return &kDescriptor; }
