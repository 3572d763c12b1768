// The MSH facts an MLLP listener needs before and after submitting a frame:
// who sent it, its control id, which acknowledgement it asks for, its charset.
// Only the header segment is parsed here: the engine parses the whole message.
#pragma once
#include <artery/hl7.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace artery::mllp {

struct FrameHeader {
  std::optional<hl7::Message> msh;  // the MSH segment alone; nullopt when absent or unparseable
  bool batch = false;               // the frame starts with FHS/BHS
  std::string control_id;           // MSH-10
  std::string sending_application;  // MSH-3
  std::string sending_facility;     // MSH-4
  std::string accept_ack_type;      // MSH-15
  std::string application_ack_type; // MSH-16
  std::string charset;              // MSH-18 (first repetition)
};

// The first MSH segment of `frame` (for a batch, the first message's), up to
// its terminator; empty when there is none.
std::string_view find_msh_segment(std::string_view frame);

FrameHeader read_frame_header(std::string_view frame);

}  // namespace artery::mllp
