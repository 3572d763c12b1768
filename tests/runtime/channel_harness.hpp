// What every runtime test needs: a temp folder with a real MessageStore, a
// plugin registry with the built-ins and the in-memory connector, channel YAML
// and Lua written to files and loaded by the real config loader.
#pragma once
#include "config/channel_config.hpp"
#include "plugin/plugin_registry.hpp"
#include "runtime/channel_runtime.hpp"
#include "runtime/engine.hpp"
#include "store/message_store.hpp"
#include "support/engine_process.hpp"

#include "memory_connector.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace artery::testing {

class ChannelHarness {
 public:
  ChannelHarness() : dir_("artery-runtime") {
    register_builtin_plugins(plugins_);
    plugins_.add_builtin(memory_plugin_descriptor());
    open_store();
  }

  MessageStore& store() { return *store_; }
  PluginRegistry& plugins() { return plugins_; }
  const TempDir& dir() const { return dir_; }

  // Closes and reopens the store file, as a restarted engine would.
  void reopen_store() {
    store_.reset();
    open_store();
  }

  std::filesystem::path write_script(const std::string& name, const std::string& lua) {
    auto file = dir_ / ("channels/" + name);
    write_text(file, lua);
    return file;
  }

  // Writes channels/<file>.yaml and loads it; the test fails on any diagnostic.
  ChannelConfig load(const std::string& file, const std::string& yaml) {
    auto path = dir_ / ("channels/" + file + ".yaml");
    write_text(path, yaml);
    Diagnostics diagnostics;
    auto config = load_channel(path, plugins_, diagnostics);
    for (const auto& d : diagnostics) UNSCOPED_INFO(d.str());
    REQUIRE(config);
    return std::move(*config);
  }

  RuntimeEnvironment environment(std::size_t delivery_window = 10'000) {
    RuntimeEnvironment env;
    env.store = store_.get();
    env.plugins = &plugins_;
    env.data_dir = dir_ / "data";
    env.delivery_window = delivery_window;
    return env;
  }

  std::unique_ptr<ChannelRuntime> start(ChannelConfig config, std::size_t delivery_window = 10'000) {
    auto runtime = std::make_unique<ChannelRuntime>(std::move(config), environment(delivery_window));
    std::string error;
    const bool started = runtime->start(error);
    INFO(error);
    REQUIRE(started);
    REQUIRE(runtime->state() == ChannelState::started);
    return runtime;
  }

  MessageRecord message(std::int64_t id) {
    auto record = store_->get(id);
    REQUIRE(record);
    return *record;
  }

 private:
  void open_store() {
    std::string error;
    store_ = MessageStore::open(dir_ / "data/artery.db", Durability::normal, error);
    INFO(error);
    REQUIRE(store_);
  }

  TempDir dir_;
  PluginRegistry plugins_;
  std::unique_ptr<MessageStore> store_;
};

// "name: ...\nsource: memory\n...\ndestinations: one memory destination" with
// extra channel keys and destination keys spliced in.
inline std::string memory_channel_yaml(const std::string& name, const std::string& source_id,
                                       const std::string& destination_id, const std::string& channel_extra = "",
                                       const std::string& destination_extra = "") {
  std::string yaml = "name: " + name + "\nsource:\n  type: memory\n  id: " + source_id + "\n" + channel_extra;
  if (!destination_id.empty()) {
    yaml += "destinations:\n  - name: out\n    type: memory\n    id: " + destination_id + "\n" + destination_extra;
  }
  return yaml;
}

// Waits for a disposition without a timing assertion: generous, only to not hang.
inline Disposition await(const std::shared_future<Disposition>& future) {
  REQUIRE(future.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  return future.get();
}

}  // namespace artery::testing
