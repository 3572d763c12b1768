#include "log/repeated_line_limiter.hpp"

#include <algorithm>
#include <cctype>

namespace artery::logger {
namespace {

// Characters that end a word for masking: a path or a list keeps its
// separators, so "/data/out/msg-17.txt" becomes "/data/out/#".
bool separates_words(char c) {
  switch (c) {
    case ' ': case '\t': case '\n': case '\r': case ',': case ';': case '(': case ')': case '[': case ']':
    case '{': case '}': case '<': case '>': case '=': case '/': case '"': case '\'':
      return true;
    default:
      return false;
  }
}

// 12345 -> "12,345": summaries are read by people.
std::string with_thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string key_of(LogLevel level, std::string_view component, std::string_view shape) {
  std::string key;
  key.reserve(component.size() + shape.size() + 3);
  key += static_cast<char>('0' + static_cast<int>(level));
  key += component;
  key += '\x1f';  // cannot appear in a component name, so "a" + "b c" never equals "a b" + "c"
  key += shape;
  return key;
}

}  // namespace

RepeatedLineLimiter::RepeatedLineLimiter(Sink sink) : RepeatedLineLimiter(std::move(sink), Limits{}) {}

RepeatedLineLimiter::RepeatedLineLimiter(Sink sink, Limits limits) : sink_(std::move(sink)), limits_(limits) {}

std::string RepeatedLineLimiter::shape_of(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      // A quoted value ('P100001', "abc") is data; an apostrophe with no
      // closing partner ("can't") is text.
      std::size_t close = text.find(c, i + 1);
      if (close != std::string_view::npos) {
        out += c;
        out += '?';
        out += c;
        i = close + 1;
        continue;
      }
      out += c;
      ++i;
      continue;
    }
    if (separates_words(c)) {
      out += c;
      ++i;
      continue;
    }
    std::size_t end = i;
    bool has_digit = false;
    while (end < text.size() && !separates_words(text[end])) {
      if (std::isdigit(static_cast<unsigned char>(text[end]))) has_digit = true;
      ++end;
    }
    if (has_digit) out += '#';
    else out.append(text.substr(i, end - i));
    i = end;
  }
  return out;
}

void RepeatedLineLimiter::write(LogLevel level, std::string_view component, std::string_view text,
                                Clock::time_point now) {
  std::string key = key_of(level, component, shape_of(text));
  auto it = windows_.find(key);
  if (it != windows_.end() && now - it->second.started >= limits_.window) {
    summarise(it->second, now);
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    if (windows_.size() >= limits_.max_shapes) flush_expired(now);
    if (windows_.size() >= limits_.max_shapes) {
      // Every slot holds a live flood: a new shape is written, never hidden.
      sink_(level, component, text);
      return;
    }
    it = windows_.emplace(std::move(key), Window{level, std::string(component), now, 0, 0, {}}).first;
  }
  Window& window = it->second;
  if (window.shown < limits_.lines_per_window) {
    ++window.shown;
    sink_(level, component, text);
    return;
  }
  ++window.suppressed;
  ++suppressed_total_;
  window.last_suppressed.assign(text);
}

void RepeatedLineLimiter::summarise(Window& window, Clock::time_point now) {
  if (window.suppressed == 0) return;
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - window.started).count();
  seconds = std::max<decltype(seconds)>(seconds, 1);
  std::string line = "… and " + with_thousands(window.suppressed) + " more like this in the last " +
                     std::to_string(seconds) + " s (the last: " + window.last_suppressed + ")";
  suppressed_total_ -= window.suppressed;
  window.suppressed = 0;
  sink_(window.level, window.component, line);
}

void RepeatedLineLimiter::flush_expired(Clock::time_point now) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now - it->second.started >= limits_.window) {
      summarise(it->second, now);
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
}

void RepeatedLineLimiter::flush_all(Clock::time_point now) {
  for (auto& [key, window] : windows_) summarise(window, now);
  windows_.clear();
}

}  // namespace artery::logger
