// The nats destination: a JetStream publish that counts as sent only on the
// stream's acknowledgement, with a Nats-Msg-Id that is the same on every
// retry of one delivery (so the stream drops a republished duplicate), or a
// plain core NATS publish for notifications.
#pragma once
#include "nats_options.hpp"

#include <artery/plugin.hpp>

#include <memory>
#include <string>

namespace artery::nats {

std::unique_ptr<Destination> create_nats_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                     std::string& error);

// The Nats-Msg-Id of one delivery: the template expanded, else
// "<channel>/<destination>/<message id>". nullopt with `problem` when the
// template names a variable the message lacks.
std::optional<std::string> delivery_msg_id(const DestinationSettings& settings, const std::string& channel,
                                           const std::string& destination, const OutboundMessage& message,
                                           std::string& problem);

}  // namespace artery::nats
