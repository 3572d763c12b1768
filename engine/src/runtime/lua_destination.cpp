#include "runtime/lua_destination.hpp"

namespace artery {

LuaDestination::LuaDestination(std::shared_ptr<lua::Script> script, std::string channel, std::string name)
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
      kApiMajor, kApiMinor, &kBuildFingerprint, "lua", kEngineVersion,
      "Built-in destination whose script's send(msg, ctx) delivers the message", nullptr, nullptr, 0, options,
      std::size(options), nullptr, nullptr};
  return &descriptor;
}

std::vector<std::filesystem::path> lua_destination_roots(const DestinationConfig& config,
                                                         const std::filesystem::path& base,
                                                         const std::filesystem::path& data_dir) {
  std::vector<std::filesystem::path> roots;
  const std::map<std::string, std::string> vars{{"data_dir", std::filesystem::absolute(data_dir).string()}};
  if (auto dirs = config.connector.options.tree.get_child_optional("directories")) {
    for (const auto& [key, node] : *dirs) {
      // Only ${data_dir} is known here; anything else stays as written.
      std::filesystem::path dir = expand_template(node.data(), vars).value_or(node.data());
      if (dir.is_relative()) dir = base / dir;
      std::error_code ec;
      roots.push_back(std::filesystem::weakly_canonical(dir, ec));
    }
  }
  return roots;
}

}  // namespace artery
