// What travels between connectors and the engine.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace artery {

// Data types a source can declare; they decide how scripts see the message.
namespace data_type {
inline constexpr const char* hl7v2 = "hl7v2";
inline constexpr const char* xml = "xml";
inline constexpr const char* json = "json";
inline constexpr const char* text = "text";
}  // namespace data_type

// A message as a source received it.
struct Message {
  std::string content;    // the bytes exactly as received (no transport framing)
  std::string data_type;  // one of data_type::*
  // Connector facts worth keeping with the message (remote address, file name, ...).
  std::vector<std::pair<std::string, std::string>> attributes;
};

// What the channel decided about a submitted message, handed back to the source
// so it can answer its peer. Only sent after the message is durably stored.
struct Disposition {
  enum class Status {
    accepted,     // stored and queued (or delivered, with ack: after-delivery)
    filtered,     // stored as FILTERED; still a positive acknowledgement
    errored,      // stored as ERROR (script failure, destination failure): HL7 AE
    rejected,     // stored as ERROR because it cannot be parsed: HL7 AR
    unavailable,  // not stored (engine stopping, store failure): the peer must resend
  };
  Status status = Status::accepted;
  std::int64_t message_id = 0;
  // A response the channel produced (script's ctx.response, or the first
  // destination's response with ack: after-delivery). Empty: the source
  // builds its protocol's default answer.
  std::string response;
  std::string error;  // reason, for errored/rejected/unavailable
};

// A message leaving through a destination, after the destination's script.
struct OutboundMessage {
  std::int64_t message_id = 0;
  std::string content;
  std::string data_type;
  std::map<std::string, std::string> vars;  // ctx.vars, for ${var} templates
  int attempt = 1;                          // 1 on the first try
};

// How one send ended. The engine owns retries and backoff.
struct SendResult {
  enum class Status { sent, retry, rejected };
  Status status = Status::sent;
  std::string response;  // the peer's answer, if any (stored, given to the response script)
  std::string error;     // why, for retry/rejected
};

}  // namespace artery
