// Parsing of terser-style locations: "PID-5.1", "OBX(2)-5", "PID-3[2].4.2".
#include <charconv>

#include "artery/hl7.hpp"

namespace artery::hl7 {
namespace {

// Upper bounds keep set() from allocating gigabytes for a typo such as
// "PID-99999999"; real messages stay far below these.
constexpr int kMaxSegmentIndex = 100000;
constexpr int kMaxField = 10000;
constexpr int kMaxRepetition = 10000;
constexpr int kMaxComponent = 1000;

bool fail(std::string* error, std::string_view text, const char* why) {
  if (error) *error = "invalid HL7 path \"" + std::string(text) + "\": " + why;
  return false;
}

// Reads a positive integer at `pos`, advancing it.
bool read_number(std::string_view s, std::size_t& pos, int max, int& value) {
  const char* b = s.data() + pos;
  const char* e = s.data() + s.size();
  if (b == e || *b < '0' || *b > '9') return false;
  auto [p, ec] = std::from_chars(b, e, value);
  if (ec != std::errc() || value < 1 || value > max) return false;
  pos += static_cast<std::size_t>(p - b);
  return true;
}

bool parse_into(std::string_view text, Path& path, std::string* error) {
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.size() < 3) return fail(error, text, "expected a 3-character segment id");
  for (int i = 0; i < 3; ++i) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return fail(error, text, "segment id must be 3 characters [A-Z][A-Z0-9][A-Z0-9]");
  }
  path.segment.assign(s.data(), 3);
  std::size_t pos = 3;
  if (pos < s.size() && s[pos] == '(') {
    ++pos;
    if (!read_number(s, pos, kMaxSegmentIndex, path.segment_index) || pos >= s.size() || s[pos] != ')') {
      return fail(error, text, "segment index must be (n) with n >= 1");
    }
    ++pos;
  }
  if (pos == s.size()) return true;  // the whole segment
  if (s[pos] != '-' && s[pos] != '.') return fail(error, text, "expected '-' before the field number");
  ++pos;
  if (!read_number(s, pos, kMaxField, path.field)) return fail(error, text, "field number must be 1..10000");
  if (pos < s.size() && s[pos] == '[') {
    ++pos;
    if (!read_number(s, pos, kMaxRepetition, path.repetition) || pos >= s.size() || s[pos] != ']') {
      return fail(error, text, "repetition must be [n] with n >= 1");
    }
    ++pos;
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    if (!read_number(s, pos, kMaxComponent, path.component)) return fail(error, text, "component must be 1..1000");
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      if (!read_number(s, pos, kMaxComponent, path.subcomponent)) {
        return fail(error, text, "subcomponent must be 1..1000");
      }
    }
  }
  if (pos != s.size()) return fail(error, text, "unexpected characters after the path");
  return true;
}

}  // namespace

std::optional<Path> parse_path(std::string_view text, std::string* error) {
  Path path;
  if (!parse_into(text, path, error)) return std::nullopt;
  return path;
}

}  // namespace artery::hl7
