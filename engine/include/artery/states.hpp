// The one place where message states and counter names are spelled. The store,
// the API, the console and the logs all use these words.
#pragma once
#include <optional>
#include <string_view>

namespace artery {

enum class MessageState { received, filtered, transformed, queued, sent, error };

constexpr std::string_view to_string(MessageState s) {
  switch (s) {
    case MessageState::received: return "RECEIVED";
    case MessageState::filtered: return "FILTERED";
    case MessageState::transformed: return "TRANSFORMED";
    case MessageState::queued: return "QUEUED";
    case MessageState::sent: return "SENT";
    case MessageState::error: return "ERROR";
  }
  return "ERROR";
}

constexpr std::optional<MessageState> message_state_from(std::string_view s) {
  if (s == "RECEIVED") return MessageState::received;
  if (s == "FILTERED") return MessageState::filtered;
  if (s == "TRANSFORMED") return MessageState::transformed;
  if (s == "QUEUED") return MessageState::queued;
  if (s == "SENT") return MessageState::sent;
  if (s == "ERROR") return MessageState::error;
  return std::nullopt;
}

// Counter names, identical for every channel, destination and connector.
namespace counter {
inline constexpr std::string_view received = "received";
inline constexpr std::string_view filtered = "filtered";
inline constexpr std::string_view queued = "queued";  // a gauge: deliveries waiting now
inline constexpr std::string_view sent = "sent";
inline constexpr std::string_view errored = "errored";
}  // namespace counter

}  // namespace artery
