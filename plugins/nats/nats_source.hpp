// The nats source: a JetStream durable pull consumer. Each fetched message is
// submitted to the channel and acknowledged only once the channel has stored
// it; one the engine could not store is nak'ed for a later redelivery; one on
// its last permitted delivery is recorded as ERROR without processing and
// terminated, so a poison message is kept and never redelivered forever.
#pragma once
#include "nats_options.hpp"

#include <artery/plugin.hpp>

#include <memory>
#include <string>

namespace artery::nats {

std::unique_ptr<Source> create_nats_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error);

// The redelivery delay after the engine could not store a message on its
// `deliveries`-th delivery: nak_delay doubled per delivery, at most max_nak_delay.
std::chrono::milliseconds nak_delay_for(const SourceSettings& settings, std::uint64_t deliveries);

}  // namespace artery::nats
