// Validation of the field separator and MSH-2 encoding characters.
#include "hl7/msh_header.hpp"

#include <string>

namespace artery::hl7::detail {
namespace {

bool fail(ParseError* error, std::string message, std::size_t offset) {
  if (error) {
    error->message = std::move(message);
    error->offset = offset;
  }
  return false;
}

// Delimiters must be visible ASCII punctuation: never letters/digits (they
// would collide with data), never CR/LF/NUL/space or bytes >= 0x80 (those
// are data in ISO-8859-1 and would make the structure ambiguous).
bool is_delimiter_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < 0x21 || u > 0x7E) return false;
  if ((u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z')) return false;
  return true;
}

std::string describe(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u <= 0x7E) return std::string("'") + c + "'";
  static const char* hex = "0123456789ABCDEF";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

}  // namespace

bool read_header_encoding(std::string_view line, HeaderEncoding& out, ParseError* error) {
  std::string_view id = line.substr(0, 3);
  if (line.size() < 4) return fail(error, std::string(id) + " segment has no field separator", line.size());
  const char field = line[3];
  if (!is_delimiter_char(field)) {
    return fail(error, std::string(id) + "-1 field separator " + describe(field) + " is not a valid delimiter", 3);
  }
  // MSH-2 runs up to the next field separator or the end of the line.
  std::size_t end = line.find(field, 4);
  if (end == std::string_view::npos) end = line.size();
  std::string_view enc = line.substr(4, end - 4);
  if (enc.empty()) return fail(error, std::string(id) + "-2 has no encoding characters", 4);
  for (std::size_t i = 0; i < enc.size(); ++i) {
    if (!is_delimiter_char(enc[i])) {
      return fail(error, std::string(id) + "-2 encoding character " + describe(enc[i]) + " is not a valid delimiter",
                  4 + i);
    }
  }
  if (enc.size() < 4) {
    return fail(error, std::string(id) + "-2 has " + std::to_string(enc.size()) +
                           " encoding characters, expected 4 (component, repetition, escape, subcomponent)", 4);
  }
  if (enc.size() > 5 || (enc.size() == 5 && enc[4] != '#')) {
    return fail(error, std::string(id) + "-2 has too many encoding characters (\"" + std::string(enc) +
                           "\"; at most 4, or 5 with truncation character '#')", 4);
  }
  char all[6] = {field, enc[0], enc[1], enc[2], enc[3], enc.size() == 5 ? enc[4] : '\0'};
  const std::size_t n = enc.size() == 5 ? 6 : 5;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      if (all[i] == all[j]) {
        return fail(error, std::string(id) + "-2 has duplicate encoding characters (" + describe(all[i]) +
                               " used twice in \"" + std::string(line.substr(3, end - 3)) + "\")", 4);
      }
    }
  }
  out.delimiters = Delimiters{field, enc[0], enc[1], enc[2], enc[3]};
  out.encoding_characters = enc;
  out.prefix_length = end;
  return true;
}

}  // namespace artery::hl7::detail
