// What channel scripts reach through ctx.store and log: the channel's
// key/value space, read from memory and written through to the store. A write
// is queued before the message that made it, so it is committed no later than
// that message's acknowledgement.
#pragma once
#include "lua/script.hpp"
#include "store/message_store.hpp"

#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace artery {

class ChannelScriptServices final : public lua::ScriptServices {
 public:
  // store may be null (offline tests): values then live in memory only.
  ChannelScriptServices(std::string channel, MessageStore* store);

  std::optional<std::string> store_get(std::string_view key) override;
  void store_put(std::string_view key, std::string_view value) override;
  void store_erase(std::string_view key) override;
  std::vector<std::string> store_keys(std::string_view prefix) override;
  void log(LogLevel level, std::string_view text) override;

 private:
  std::string channel_;
  MessageStore* store_;
  std::shared_mutex mutex_;
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace artery
