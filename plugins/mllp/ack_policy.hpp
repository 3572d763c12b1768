// Which acknowledgement an MLLP listener sends for a message, from the
// channel's disposition and the acknowledgement mode the sender asked for
// (MSH-15 accept acknowledgement type), and the ACK text itself.
#pragma once
#include <artery/message.hpp>

#include <string>
#include <string_view>

#include "frame_header.hpp"

namespace artery::mllp {

struct AckDecision {
  bool send = true;   // false: the sender asked for no accept ack in this case
  std::string code;   // AA/AE/AR (original mode) or CA/CE/CR (enhanced mode)
  std::string text;   // MSA-3 / ERR text for AE/AR/CE/CR, one line
};

// Original mode when MSH-15 is empty (AA/AE/AR, always sent). Enhanced mode
// otherwise: CA/CE/CR, sent when MSH-15 is AL, never for NE, only on failure
// for ER, only on success for SU (an unknown value counts as AL).
// accepted/filtered succeed; errored -> AE, rejected -> AR,
// unavailable -> AE "temporarily unavailable, resend".
AckDecision decide_ack(const Disposition& disposition, std::string_view accept_ack_type);

// The ACK message for `decision`: built from the parsed MSH when there is
// one, else best effort from the raw frame.
std::string render_ack(const FrameHeader& header, std::string_view raw_frame, const AckDecision& decision);

// `text` on one line (CR/LF/control bytes become spaces), at most `max` bytes.
std::string one_line(std::string_view text, std::size_t max = 200);

}  // namespace artery::mllp
