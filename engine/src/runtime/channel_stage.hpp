// The channel's own stage for one received message: the parse its searchable
// metadata comes from, then the channel script's filter and transform, and
// whether a failure is the input's fault (rejected: HL7 AR) or ours (errored:
// AE). `artery run` and `artery test` both go through it, so a test sees the
// message exactly as the running channel would.
#pragma once
#include "config/channel_config.hpp"
#include "lua/script.hpp"

#include <artery/message.hpp>
#include <artery/states.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace artery {

using SourceAttributes = std::vector<std::pair<std::string, std::string>>;

struct ChannelStageResult {
  enum class Outcome { passed, filtered, rejected, errored };
  Outcome outcome = Outcome::passed;
  std::string error;  // full, with the Lua traceback (for the store)
  std::string message_type, control_id, patient_id;  // from an HL7 v2 message
  std::optional<std::string> payload;  // the transformed message; nullopt: unchanged
  std::string payload_type;            // its data type when it differs ("json")
  std::map<std::string, std::string> vars;
  std::optional<std::string> response;  // ctx.response
  std::vector<lua::RoutedPayload> routes;  // router.route() calls, when passed
};

// The data type a channel reads its messages as: its own `data_type` (from
// the YAML, else the plugin's default), whatever the connector put on the message.
std::string channel_data_type(const ChannelConfig& channel, const Message& message);

ChannelStageResult run_channel_stage(const std::string& channel, std::string_view content,
                                     std::string_view data_type, const SourceAttributes* source,
                                     lua::Script* script);

}  // namespace artery
