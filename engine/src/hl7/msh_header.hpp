// Reading the encoding characters at the start of an MSH/FHS/BHS header line.
// Shared by the message parser, the batch splitter and the best-effort ACK
// builder so that all three agree on what "sane delimiters" means.
#pragma once
#include <cstddef>
#include <string_view>

#include "artery/hl7.hpp"

namespace artery::hl7::detail {

struct HeaderEncoding {
  Delimiters delimiters;
  // Length of the header prefix "MSH|^~\&" (or with a truncation char): the
  // offset of the field separator that ends MSH-2, or the line length.
  std::size_t prefix_length = 0;
  // MSH-2 as written: 4 chars, or 5 with the v2.7 truncation character.
  std::string_view encoding_characters;
};

// `line` is one header line without its terminator, starting with the
// 3-letter segment id. Returns false with `error` (offset relative to `line`)
// when the field separator or MSH-2 is missing, duplicated, alphanumeric,
// a control/non-ASCII byte, or has the wrong length.
bool read_header_encoding(std::string_view line, HeaderEncoding& out, ParseError* error);

// True for a segment id: 3 chars, an upper-case letter then [A-Z0-9].
inline bool is_segment_id(const char* p) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return upper(p[0]) && (upper(p[1]) || digit(p[1])) && (upper(p[2]) || digit(p[2]));
}

// Segments whose field 1 is the field separator itself (MSH-1), so the
// field numbering is shifted by one compared with ordinary segments.
inline bool is_header_segment(std::string_view id) {
  return id == "MSH" || id == "FHS" || id == "BHS";
}

}  // namespace artery::hl7::detail
