// An optional part of the SourceHost a source is started with: recording a
// message as ERROR without processing it. Optional, and found at run time
// (failed_message_host()), so a plugin using it still loads on an engine
// without it and only loses this one feature: no version bump needed.
#pragma once
#include <artery/message.hpp>
#include <artery/plugin.hpp>

#include <functional>
#include <string>

namespace artery {

class FailedMessageHost {
 public:
  // Thread-safe. Stores the message as ERROR with `reason`, without running
  // the channel's script or queueing it for any destination, and answers
  // `done` like SourceHost::submit() (errored once stored, unavailable when
  // it could not be). For a message the source gives up on, such as a
  // JetStream message delivered its maximum number of times without being
  // stored: it is kept, searchable and reprocessable, instead of being
  // dropped or redelivered forever.
  virtual void submit_failed(Message message, std::string reason, std::function<void(Disposition)> done) = 0;

 protected:
  ~FailedMessageHost() = default;
};

// The host's FailedMessageHost, or null when it has none (an older engine, a
// test's host). The engine's channel implements both publicly; the cast
// compares type names, so it works across the plugin boundary (the build
// fingerprint guarantees one compiler and C++ runtime).
inline FailedMessageHost* failed_message_host(SourceHost& host) noexcept {
  return dynamic_cast<FailedMessageHost*>(&host);
}

}  // namespace artery
