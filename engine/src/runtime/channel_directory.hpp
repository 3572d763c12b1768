// How one channel reaches another in the same engine, for routing (the
// `channel` destination and router.route): by name, submitting a message as
// the target's own source would, with no network hop. Implemented by the
// Engine over its deployed channels. Thread-safe.
#pragma once
#include <artery/message.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace artery {

// The message a routed one came from: stored with it (messages.origin_*).
struct RouteOrigin {
  std::string channel;
  std::int64_t message_id = 0;
};

class ChannelDirectory {
 public:
  enum class Lookup {
    submitted,    // `done` will be called (perhaps already was)
    not_running,  // deployed, but not started (starting, stopped, failed): try again later
    unknown,      // no channel of that name is deployed
  };
  virtual ~ChannelDirectory() = default;
  // Hands `content` to channel `name`; the target parses it as its source's
  // data_type. `done` is called exactly once when the lookup is `submitted`,
  // and never otherwise.
  virtual Lookup route(const std::string& name, std::string content, RouteOrigin origin,
                       std::function<void(Disposition)> done) = 0;
  virtual std::vector<std::string> names() const = 0;  // for "did you mean"
};

// A routed submit's answer as a send's result: the hop is SENT once the target
// holds the message durably (accepted or filtered there); a message the target
// stored as ERROR is a rejected send (trying again would store it again); a
// target that could not store it (stopping) is worth a retry.
SendResult routed_send_result(const std::string& target, const Disposition& disposition);

}  // namespace artery
