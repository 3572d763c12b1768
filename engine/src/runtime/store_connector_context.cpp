#include "runtime/store_connector_context.hpp"

#include "log/logger.hpp"

#include <future>

namespace artery {

StoreConnectorContext::StoreConnectorContext(std::string channel, std::string connector,
                                             std::filesystem::path base_dir, std::filesystem::path data_dir,
                                             MessageStore* store)
    : channel_(std::move(channel)),
      connector_(std::move(connector)),
      component_(channel_ + "/" + connector_),
      // A namespace no channel name can take ('@' is not allowed in names).
      space_("@connector:" + channel_ + "/" + connector_),
      base_dir_(std::move(base_dir)),
      data_dir_(std::move(data_dir)),
      store_(store),
      sockets_(component_, net::ListenSocketPool::process()) {}

const ValueCipher& StoreConnectorContext::value_cipher() const {
  return store_ ? store_->value_cipher() : ValueCipher::disabled();
}

void StoreConnectorContext::log(LogLevel level, std::string_view text) { logger::write(level, component_, text); }

std::optional<std::string> StoreConnectorContext::state_get(std::string_view key) {
  if (!store_) return std::nullopt;
  return store_->get_value(space_, std::string(key));
}

void StoreConnectorContext::state_put(std::string_view key, std::string_view value) {
  if (!store_) return;
  std::promise<void> committed;
  store_->put_value(space_, std::string(key), std::string(value),
                    [&](bool, const std::string&) { committed.set_value(); });
  committed.get_future().wait();
}

}  // namespace artery
