#include "runtime/channel_script_services.hpp"

#include "log/logger.hpp"

namespace artery {

ChannelScriptServices::ChannelScriptServices(std::string channel, MessageStore* store)
    : channel_(std::move(channel)), store_(store) {
  if (store_) {
    for (auto& [key, value] : store_->values(channel_)) values_.emplace(key, std::move(value));
  }
}

std::optional<std::string> ChannelScriptServices::store_get(std::string_view key) {
  std::shared_lock lock(mutex_);
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

void ChannelScriptServices::store_put(std::string_view key, std::string_view value) {
  std::unique_lock lock(mutex_);
  values_.insert_or_assign(std::string(key), std::string(value));
  // Queued under the lock so the store sees writes in the order scripts made them.
  if (store_) store_->put_value(channel_, std::string(key), std::string(value));
}

void ChannelScriptServices::store_erase(std::string_view key) {
  std::unique_lock lock(mutex_);
  auto it = values_.find(key);
  if (it != values_.end()) values_.erase(it);
  if (store_) store_->erase_value(channel_, std::string(key));
}

std::vector<std::string> ChannelScriptServices::store_keys(std::string_view prefix) {
  std::shared_lock lock(mutex_);
  std::vector<std::string> keys;
  for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it)
    keys.push_back(it->first);
  return keys;
}

void ChannelScriptServices::log(LogLevel level, std::string_view text) { logger::write(level, channel_, text); }

}  // namespace artery
