// A callback a plugin hands to the engine (a source's `done` in
// SourceHost::submit) is a std::function whose code — its invoker and its
// destructor — lives in the plugin's library. Pinned, it holds that library,
// so the library cannot be unloaded while the engine still keeps the callback
// in a queue or a wait list, however long the delivery takes.
#pragma once
#include <functional>
#include <memory>
#include <utility>

namespace boost::dll {
class shared_library;
}

namespace artery {

template <class... Args>
std::function<void(Args...)> pin_to_library(const std::shared_ptr<boost::dll::shared_library>& library,
                                            std::function<void(Args...)> callback) {
  if (!library || !callback) return callback;  // built in: nothing to hold
  struct Pinned {
    std::shared_ptr<boost::dll::shared_library> library;  // declared first, so released last
    std::function<void(Args...)> callback;
  };
  auto pinned = std::make_shared<Pinned>(Pinned{library, std::move(callback)});
  return [pinned](Args... args) { pinned->callback(std::forward<Args>(args)...); };
}

}  // namespace artery
