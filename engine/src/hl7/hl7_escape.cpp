// HL7 v2 escape sequences: \F\ \S\ \T\ \R\ \E\ and \Xhh..\ (hex bytes).
// Formatting sequences (\.br\, \H\, \N\, \.sp\, \Cxxyy\, ...) are not data
// we can represent as plain text, so unescape() keeps them literally.
#include <cstring>

#include "artery/hl7.hpp"

namespace artery::hl7 {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_structural(char c, const Delimiters& d) {
  return c == d.field || c == d.component || c == d.repetition || c == d.subcomponent || c == '\r' || c == '\n';
}

}  // namespace

std::string escape(std::string_view text, const Delimiters& d) {
  // Fast path: most values contain nothing to escape.
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == d.escape || is_structural(c, d)) break;
  }
  if (i == text.size()) return std::string(text);

  std::string out;
  out.reserve(text.size() + 16);
  out.append(text.data(), i);
  auto seq = [&](const char* body) {
    out += d.escape;
    out += body;
    out += d.escape;
  };
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == d.escape) seq("E");
    else if (c == d.field) seq("F");
    else if (c == d.component) seq("S");
    else if (c == d.subcomponent) seq("T");
    else if (c == d.repetition) seq("R");
    // A raw CR/LF would end the segment; hex escapes keep multi-line text.
    else if (c == '\r') seq("X0D");
    else if (c == '\n') seq("X0A");
    else out += c;
  }
  return out;
}

std::string unescape(std::string_view text, const Delimiters& d) {
  const char esc = d.escape;
  if (text.empty()) return {};  // data() may be null; memchr must not see it
  const char* first = static_cast<const char*>(std::memchr(text.data(), esc, text.size()));
  if (!first) return std::string(text);

  std::string out;
  out.reserve(text.size());
  std::size_t i = static_cast<std::size_t>(first - text.data());
  out.append(text.data(), i);
  while (i < text.size()) {
    char c = text[i];
    if (c != esc) {
      out += c;
      ++i;
      continue;
    }
    // Find the closing escape char; a delimiter before it means this is not
    // an escape sequence (escape sequences never contain delimiters), so the
    // escape char is kept as a literal.
    std::size_t j = i + 1;
    while (j < text.size() && text[j] != esc && !is_structural(text[j], d)) ++j;
    if (j >= text.size() || text[j] != esc || j == i + 1) {
      out += c;
      ++i;
      continue;
    }
    std::string_view body = text.substr(i + 1, j - i - 1);
    bool handled = true;
    if (body.size() == 1) {
      switch (body[0]) {
        case 'F': out += d.field; break;
        case 'S': out += d.component; break;
        case 'T': out += d.subcomponent; break;
        case 'R': out += d.repetition; break;
        case 'E': out += d.escape; break;
        default: handled = false;  // \H\ \N\ and unknown: keep literally
      }
    } else if (body[0] == 'X' && body.size() >= 3 && (body.size() - 1) % 2 == 0) {
      std::string bytes;
      for (std::size_t k = 1; k + 1 < body.size() && handled; k += 2) {
        int hi = hex_value(body[k]);
        int lo = hex_value(body[k + 1]);
        if (hi < 0 || lo < 0) handled = false;
        else bytes += static_cast<char>(hi * 16 + lo);
      }
      if (handled) out += bytes;
    } else {
      handled = false;  // \.br\ \.sp\ \Cxxyy\ \Mxxyyzz\ \Zxx\ ...
    }
    if (!handled) out.append(text.data() + i, j - i + 1);
    i = j + 1;
  }
  return out;
}

}  // namespace artery::hl7
