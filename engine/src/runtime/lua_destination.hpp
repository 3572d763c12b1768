// The built-in `lua` destination (like Mirth's JavaScript Writer): the
// destination's script defines send(msg, ctx), with an `fs` module limited to
// the directories the channel names.
#pragma once
#include "config/channel_config.hpp"
#include "lua/script.hpp"

#include <artery/plugin.hpp>

#include <map>
#include <memory>
#include <string>

namespace artery {

class LuaDestination final : public Destination {
 public:
  LuaDestination(std::shared_ptr<lua::Script> script, std::string channel, std::string name);
  void send(OutboundMessage message, std::function<void(SendResult)> done) override;
  // The same state runs the destination's filter/transform before send().
  lua::Script* script() { return script_.get(); }
  std::shared_ptr<lua::Script> shared_script() const { return script_; }
  // A reloaded script, from the worker's thread between two deliveries
  // (DestinationWorker::replace_script), so send() never sees it change mid-delivery.
  void use_script(std::shared_ptr<lua::Script> script) { script_ = std::move(script); }
  // ctx.responses / ctx.states for the next send (a destination with `after:`).
  void carry_awaited(const lua::ScriptContext& context);

 private:
  std::shared_ptr<lua::Script> script_;
  std::string channel_, name_;
  std::map<std::string, std::string> responses_, states_;
};

// Its descriptor: no factory (the runtime builds it), only the option schema.
const PluginDescriptor* lua_destination_descriptor();

// The folders its `fs` may use: `directories`, relative to the channel file,
// with ${data_dir} the engine's data folder (so --data moves outputs too).
std::vector<std::filesystem::path> lua_destination_roots(const DestinationConfig& config,
                                                         const std::filesystem::path& base,
                                                         const std::filesystem::path& data_dir);

}  // namespace artery
