// The loadable form's one exported symbol: what the engine reads first.
#include <artery/plugin.hpp>
#include <artery/version.hpp>

#include "nats_destination.hpp"
#include "nats_options.hpp"
#include "nats_source.hpp"

namespace {

std::unique_ptr<artery::Source> make_source(const artery::ConnectorOptions& options,
                                            artery::ConnectorContext& context, std::string& error) noexcept {
  return artery::guarded_create(error, [&] { return artery::nats::create_nats_source(options, context, error); });
}

std::unique_ptr<artery::Destination> make_destination(const artery::ConnectorOptions& options,
                                                      artery::ConnectorContext& context,
                                                      std::string& error) noexcept {
  return artery::guarded_create(error,
                                [&] { return artery::nats::create_nats_destination(options, context, error); });
}

}  // namespace

ARTERY_PLUGIN_EXPORT const artery::PluginDescriptor* artery_plugin_v1() noexcept {
  static const artery::PluginDescriptor descriptor{
      artery::kApiMajor,
      artery::kApiMinor,
      &artery::kBuildFingerprint,
      "nats",
      artery::kEngineVersion,
      "NATS JetStream: durable pull consumer acknowledged after commit, and publisher confirmed by the stream "
      "(deduplicated by Nats-Msg-Id); plain NATS publish for notifications",
      artery::data_type::hl7v2,
      artery::nats::kSourceOptions,
      artery::nats::kSourceOptionCount,
      artery::nats::kDestinationOptions,
      artery::nats::kDestinationOptionCount,
      &make_source,
      &make_destination,
  };
  return &descriptor;
}
