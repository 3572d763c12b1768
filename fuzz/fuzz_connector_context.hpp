// The ConnectorContext a fuzz target hands a plugin's code: logs dropped,
// state in memory, no listening-socket pool (nothing is bound).
#pragma once
#include <artery/plugin.hpp>

#include <map>
#include <string>

namespace artery::fuzz {

class FuzzConnectorContext final : public ConnectorContext {
 public:
  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(LogLevel, std::string_view) override {}
  std::optional<std::string> state_get(std::string_view key) override {
    auto it = state_.find(std::string(key));
    if (it == state_.end()) return std::nullopt;
    return it->second;
  }
  void state_put(std::string_view key, std::string_view value) override { state_[std::string(key)] = value; }
  std::filesystem::path base_dir() const override { return "."; }
  std::filesystem::path data_dir() const override { return "."; }

 private:
  std::string channel_ = "fuzz";
  std::string connector_ = "source";
  std::map<std::string, std::string> state_;
};

}  // namespace artery::fuzz
