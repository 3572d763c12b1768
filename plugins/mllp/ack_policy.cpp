#include "ack_policy.hpp"

namespace artery::mllp {

std::string one_line(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (char c : text) {
    if (out.size() >= max) break;
    bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
    if (control) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // Never cut a UTF-8 sequence in half.
  if (out.size() >= max) {
    std::size_t lead = out.size();
    while (lead > 0 && (static_cast<unsigned char>(out[lead - 1]) & 0xC0) == 0x80) --lead;
    if (lead > 0) {
      auto b = static_cast<unsigned char>(out[lead - 1]);
      std::size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      if (out.size() - (lead - 1) < need) out.resize(lead - 1);
    }
  }
  return out;
}

AckDecision decide_ack(const Disposition& disposition, std::string_view accept_ack_type) {
  using Status = Disposition::Status;
  AckDecision d;
  bool success = disposition.status == Status::accepted || disposition.status == Status::filtered;
  char kind = 'A';  // A: accept, E: error, R: reject
  switch (disposition.status) {
    case Status::accepted:
    case Status::filtered:
      break;
    case Status::errored:
      kind = 'E';
      d.text = one_line(disposition.error.empty() ? "message stored as an error" : disposition.error);
      break;
    case Status::rejected:
      kind = 'R';
      d.text = one_line(disposition.error.empty() ? "message rejected" : disposition.error);
      break;
    case Status::unavailable:
      kind = 'E';
      d.text = "temporarily unavailable, resend";
      break;
  }
  bool enhanced = !accept_ack_type.empty();
  d.code = std::string(1, enhanced ? 'C' : 'A') + kind;
  if (enhanced) {
    if (accept_ack_type == "NE") d.send = false;
    else if (accept_ack_type == "ER") d.send = !success;
    else if (accept_ack_type == "SU") d.send = success;
  }
  return d;
}

std::string render_ack(const FrameHeader& header, std::string_view raw_frame, const AckDecision& decision) {
  hl7::AckOptions options;
  options.code = decision.code;
  options.text = decision.text;
  if (header.msh) return hl7::build_ack(*header.msh, options);
  return hl7::build_ack_for_raw(raw_frame, options);
}

}  // namespace artery::mllp
