// Rate limit for repeated log lines: a flood of lines of one shape (a full
// disk refusing every message, a peer down failing every send) shows its
// first few lines per window, then one summary ("… and 12,345 more like this
// in the last 10 s"), instead of one line per event.
//
// Lines are alike when they have the same level, component and *shape*: the
// text with every word that holds a digit (ids, counts, addresses, GUIDs)
// and every quoted value masked, so per-message ids do not make each line
// unique. Distinct shapes are never hidden: the table of shapes is bounded,
// and when it is full of live windows a new shape is written unlimited.
//
// Not thread-safe; the logger calls it under its lock. Time is passed in, so
// tests drive it with their own clock.
#pragma once
#include <artery/plugin.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace artery::logger {

class RepeatedLineLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  // Receives every line to write: the original ones let through, and summaries.
  using Sink = std::function<void(LogLevel, std::string_view component, std::string_view text)>;

  struct Limits {
    std::size_t lines_per_window = 5;          // shown per shape per window
    std::chrono::seconds window{10};
    std::size_t max_shapes = 1024;             // bounds the table's memory
  };

  explicit RepeatedLineLimiter(Sink sink);
  RepeatedLineLimiter(Sink sink, Limits limits);

  // Writes the line through the sink, or counts it as suppressed.
  void write(LogLevel level, std::string_view component, std::string_view text, Clock::time_point now);

  // Writes the summaries of the windows that ended by `now` and forgets those
  // shapes; the logger calls it about once a second, so a flood that stopped
  // still gets its summary.
  void flush_expired(Clock::time_point now);
  // Writes every pending summary (at exit).
  void flush_all(Clock::time_point now);

  // True when some line is suppressed and waiting for its summary.
  bool has_suppressed() const { return suppressed_total_ > 0; }

  // The key text of a line: digit-bearing words and quoted values masked.
  static std::string shape_of(std::string_view text);

 private:
  struct Window {
    LogLevel level;
    std::string component;
    Clock::time_point started;
    std::size_t shown = 0;
    std::uint64_t suppressed = 0;
    std::string last_suppressed;  // the latest hidden line, quoted in the summary
  };
  void summarise(Window& window, Clock::time_point now);

  Sink sink_;
  Limits limits_;
  std::unordered_map<std::string, Window> windows_;  // key: level, component, shape
  std::uint64_t suppressed_total_ = 0;
};

}  // namespace artery::logger
