#include "runtime/channel_stage.hpp"

#include <artery/hl7.hpp>

namespace artery {

std::string channel_data_type(const ChannelConfig& channel, const Message& message) {
  if (!channel.data_type.empty()) return channel.data_type;
  return message.data_type.empty() ? std::string(data_type::text) : message.data_type;
}

ChannelStageResult run_channel_stage(const std::string& channel, std::string_view content,
                                     std::string_view data_type, const SourceAttributes* source,
                                     lua::Script* script) {
  ChannelStageResult out;
  std::optional<hl7::Message> hl7;  // parsed once: the metadata's parse is the script's msg
  if (data_type == data_type::hl7v2) {
    hl7::ParseError parse_error;
    hl7 = hl7::Message::parse(content, &parse_error);
    if (!hl7) {
      out.outcome = ChannelStageResult::Outcome::rejected;
      out.error = "HL7 parse error: " + parse_error.message + " (at byte " + std::to_string(parse_error.offset) + ")";
      return out;
    }
    out.message_type = hl7->message_type();
    out.control_id = hl7->control_id();
    out.patient_id = hl7->get("PID-3.1");
  }
  if (!script) return out;

  lua::ScriptContext context;
  context.channel = channel;
  context.source = source;
  lua::ScriptResult result = script->process({content, data_type, hl7 ? &*hl7 : nullptr}, context);
  out.vars = std::move(context.vars);
  out.response = std::move(context.response);
  switch (result.status) {
    case lua::ScriptResult::Status::ok:
      out.payload = std::move(result.payload);
      out.payload_type = std::move(result.payload_type);
      out.routes = std::move(context.routes);
      break;
    case lua::ScriptResult::Status::filtered:
      out.outcome = ChannelStageResult::Outcome::filtered;
      break;
    case lua::ScriptResult::Status::error:
      // Input the script could not even read (bad XML or JSON) is the sender's fault.
      out.outcome = result.input_rejected ? ChannelStageResult::Outcome::rejected
                                          : ChannelStageResult::Outcome::errored;
      out.error = std::move(result.error);
      break;
  }
  return out;
}

}  // namespace artery
