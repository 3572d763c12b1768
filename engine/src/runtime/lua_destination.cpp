#include "runtime/lua_destination.hpp"

namespace artery {

LuaDestination::LuaDestination(std::unique_ptr<lua::Script> script, std::string channel, std::string name)
    : script_(std::move(script)), channel_(std::move(channel)), name_(std::move(name)) {}

void LuaDestination::carry_awaited(const lua::ScriptContext& context) {
  responses_ = context.responses;
  states_ = context.states;
}

void LuaDestination::send(OutboundMessage message, std::function<void(SendResult)> done) {
  lua::ScriptContext context;
  context.channel = channel_;
  context.destination = name_;
  context.vars = std::move(message.vars);
  context.responses = responses_;
  context.states = states_;
  auto result = script_->send({message.content, message.data_type}, context);
  if (result.status == lua::ScriptResult::Status::error) {
    // Usually I/O (a full disk, a locked file): worth retrying with backoff.
    done({SendResult::Status::retry, {}, result.error});
    return;
  }
  done({SendResult::Status::sent, result.payload.value_or(context.response.value_or("")), {}});
}

const PluginDescriptor* lua_destination_descriptor() {
  static const OptionSpec options[] = {
      {"directories", "list", nullptr, false,
       "Folders the script's fs module may read and write: relative to the channel file, ${data_dir} is the "
       "engine's data folder; none: no fs"},
  };
  static const PluginDescriptor descriptor{
      kApiMajor, kApiMinor, "lua", kEngineVersion,
      "Built-in destination whose script's send(msg, ctx) delivers the message", nullptr, nullptr, 0, options,
      std::size(options), nullptr, nullptr};
  return &descriptor;
}

}  // namespace artery
