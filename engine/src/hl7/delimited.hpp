// Locating the n-th piece of delimiter-separated text without splitting it
// all: the lazy field access that keeps Message::get allocation-free until
// the result is copied out.
#pragma once
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace artery::hl7::detail {

// Piece `index` (0-based) of `s` split by `delim`; nullopt when `s` has fewer pieces.
inline std::optional<std::string_view> find_piece(std::string_view s, char delim, std::size_t index) {
  const char* p = s.data();
  const char* end = p + s.size();
  // memchr is never given a null pointer: an empty view may have data() == nullptr.
  for (std::size_t i = 0; i < index; ++i) {
    const void* hit = p == end ? nullptr : std::memchr(p, delim, static_cast<std::size_t>(end - p));
    if (!hit) return std::nullopt;
    p = static_cast<const char*>(hit) + 1;
  }
  const void* hit = p == end ? nullptr : std::memchr(p, delim, static_cast<std::size_t>(end - p));
  const char* stop = hit ? static_cast<const char*>(hit) : end;
  return std::string_view(p, static_cast<std::size_t>(stop - p));
}

inline std::size_t count_pieces(std::string_view s, char delim) {
  std::size_t n = 1;
  const char* p = s.data();
  const char* end = p + s.size();
  while (const void* hit = p == end ? nullptr : std::memchr(p, delim, static_cast<std::size_t>(end - p))) {
    ++n;
    p = static_cast<const char*>(hit) + 1;
  }
  return n;
}

// Like find_piece on s[begin, end), but appends delimiters at `end` when the
// piece does not exist yet, so that it does. Returns the piece as [first, second).
inline std::pair<std::size_t, std::size_t> find_or_add_piece(std::string& s, std::size_t begin, std::size_t end,
                                                             char delim, std::size_t index) {
  std::size_t start = begin;
  for (std::size_t i = 0;; ++i) {
    const void* hit = std::memchr(s.data() + start, delim, end - start);
    std::size_t stop = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - s.data()) : end;
    if (i == index) return {start, stop};
    if (stop == end) {
      const std::size_t missing = index - i;
      s.insert(end, missing, delim);
      return {end + missing, end + missing};
    }
    start = stop + 1;
  }
}

}  // namespace artery::hl7::detail
