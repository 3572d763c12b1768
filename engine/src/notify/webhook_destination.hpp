// The built-in `webhook` destination: each message (after the destination's
// script, so a script can build the body) is POSTed or PUT to a URL. A
// connection failure, a timeout, 408, 429 or 5xx is retried through the
// channel's `retry:`; any other 4xx is a rejection.
#pragma once
#include <artery/plugin.hpp>

namespace artery {

const PluginDescriptor* webhook_destination_descriptor();

}  // namespace artery
