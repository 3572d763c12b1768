// What every connection of one systemone source shares: its settings, the
// channel, and the request logic that does not depend on the connection
// (envelope checks, device approval, the answer to a disposition).
#pragma once
#include "response_envelope.hpp"
#include "systemone_source.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace artery::systemone {

struct SystemOneSource::Runtime {
  Runtime(SourceSettings s, ConnectorContext& c) : settings(std::move(s)), context(c) {}

  // A request that passed the envelope checks, ready for the channel.
  struct Screened {
    ResponseEnvelope envelope;
    std::optional<std::string> error;  // set: answer this (PermanentError true) without submitting
  };

  Screened screen(const std::string& document);
  std::string approve_device(const std::string& device_id);
  std::string answer(const ResponseEnvelope& envelope, const Disposition& disposition);
  std::string error_text(const ResponseEnvelope& envelope, std::string_view message, bool permanent) {
    return error_response(envelope, message, permanent, settings.error_style);
  }
  // Hands the request to the channel; `done` gets its disposition on an
  // engine thread (or at once, unavailable, when the channel throws).
  static void submit(SourceHost& host, Message message, std::function<void(Disposition)> done);

  const SourceSettings settings;
  ConnectorContext& context;

  std::mutex devices_mutex;  // connections may run on several threads
  std::unordered_set<std::string> known_devices;
};

}  // namespace artery::systemone
