// The built-in `email` destination: each message becomes an email over SMTP,
// its subject and body templated from the message's variables (${content}
// is the message itself). A 4xx reply, a lost connection or a timeout is
// retried through the channel's `retry:`; a 5xx reply is a rejection.
#pragma once
#include <artery/plugin.hpp>

namespace artery {

const PluginDescriptor* email_destination_descriptor();

}  // namespace artery
