#include "frame_header.hpp"

#include <cstring>

namespace artery::mllp {
namespace {

bool starts_with_segment(std::string_view text, std::string_view id) {
  return text.size() >= 4 && text.substr(0, 3) == id && static_cast<unsigned char>(text[3]) > ' ';
}

std::string_view skip_blank(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == '\r' || text[i] == '\n' || text[i] == ' ' || text[i] == '\t' || text[i] == '\0'))
    ++i;
  return text.substr(i);
}

std::string_view first_line(std::string_view text) {
  std::size_t end = text.find_first_of("\r\n");
  return end == std::string_view::npos ? text : text.substr(0, end);
}

hl7::Path field_path(int field) {
  hl7::Path path;
  path.segment = "MSH";
  path.field = field;
  return path;
}

}  // namespace

std::string_view find_msh_segment(std::string_view frame) {
  std::string_view rest = skip_blank(frame);
  if (starts_with_segment(rest, "MSH")) return first_line(rest);
  // Batches (FHS/BHS first) and leading junk segments: the first MSH at a line start.
  for (std::size_t at = 0; (at = rest.find("MSH", at)) != std::string_view::npos; at += 3) {
    if (at > 0 && rest[at - 1] != '\r' && rest[at - 1] != '\n') continue;
    if (starts_with_segment(rest.substr(at), "MSH")) return first_line(rest.substr(at));
  }
  return {};
}

FrameHeader read_frame_header(std::string_view frame) {
  FrameHeader header;
  std::string_view start = skip_blank(frame);
  header.batch = starts_with_segment(start, "FHS") || starts_with_segment(start, "BHS");
  std::string_view segment = find_msh_segment(frame);
  if (segment.empty()) return header;
  header.msh = hl7::Message::parse(segment);
  if (!header.msh) return header;
  // Paths parsed once: this runs for every frame.
  static const hl7::Path kControlId = field_path(10), kSendingApplication = field_path(3),
                         kSendingFacility = field_path(4), kAcceptAck = field_path(15),
                         kApplicationAck = field_path(16), kCharset = field_path(18);
  const hl7::Message& m = *header.msh;
  header.control_id = m.get(kControlId);
  header.sending_application = m.get(kSendingApplication);
  header.sending_facility = m.get(kSendingFacility);
  // Senders pad fields with spaces ("| |"): a blank MSH-15 asks for original mode.
  header.accept_ack_type = m.get(kAcceptAck);
  while (!header.accept_ack_type.empty() && header.accept_ack_type.back() == ' ') header.accept_ack_type.pop_back();
  while (!header.accept_ack_type.empty() && header.accept_ack_type.front() == ' ') header.accept_ack_type.erase(0, 1);
  header.application_ack_type = m.get(kApplicationAck);
  header.charset = m.get(kCharset);
  return header;
}

}  // namespace artery::mllp
