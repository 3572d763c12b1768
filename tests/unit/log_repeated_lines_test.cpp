// Repeated log lines are rate-limited and summarised, keyed by the line's
// shape, so a flood of per-message errors becomes a handful of lines.
#include "log/repeated_line_limiter.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using artery::LogLevel;
using artery::logger::RepeatedLineLimiter;
using namespace std::chrono_literals;

namespace {

struct Captured {
  std::vector<std::string> lines;
  RepeatedLineLimiter::Sink sink() {
    return [this](LogLevel, std::string_view component, std::string_view text) {
      lines.push_back("[" + std::string(component) + "] " + std::string(text));
    };
  }
  std::size_t containing(const std::string& text) const {
    std::size_t n = 0;
    for (const auto& line : lines) n += line.find(text) != std::string::npos;
    return n;
  }
};

}  // namespace

TEST_CASE("100,000 similar errors become a handful of lines and one summary", "[unit][log]") {
  Captured out;
  RepeatedLineLimiter limiter(out.sink());
  auto t0 = RepeatedLineLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 100'000; ++i)
    limiter.write(LogLevel::error, "store",
                  "message " + std::to_string(1000 + i) + " from '10.0.0." + std::to_string(i % 250) +
                      "' refused: cannot allocate the intake log segment /data/artery.db-intake/" +
                      std::to_string(i) + ".log: No space left on device",
                  t0 + std::chrono::microseconds(i));
  CHECK(out.lines.size() == 5);
  CHECK(out.containing("message 1000 ") == 1);
  limiter.flush_expired(t0 + 10s);
  REQUIRE(out.lines.size() == 6);
  CHECK(out.lines.back().find("… and 99,995 more like this in the last 10 s (the last: message 100999 ") !=
        std::string::npos);
  CHECK(out.lines.back().rfind("[store] ", 0) == 0);
  // Nothing is left to summarise.
  limiter.flush_all(t0 + 20s);
  CHECK(out.lines.size() == 6);
}

TEST_CASE("distinct messages are all shown", "[unit][log]") {
  Captured out;
  RepeatedLineLimiter limiter(out.sink());
  auto t0 = RepeatedLineLimiter::Clock::time_point{} + 1h;
  const std::vector<std::string> texts = {"channel lab started", "channel adt started", "cannot open inbox",
                                          "cannot open outbox", "script failed: attempt to index a nil value",
                                          "script failed: bad argument to gsub"};
  for (int round = 0; round < 3; ++round)
    for (const auto& text : texts) limiter.write(LogLevel::warn, "runtime", text, t0);
  // Each shape has its own allowance: 3 of each, well under the 5 per window.
  CHECK(out.lines.size() == 18);
  // The same text from another component, or at another level, is another shape.
  limiter.write(LogLevel::warn, "store", "channel lab started", t0);
  limiter.write(LogLevel::error, "runtime", "channel lab started", t0);
  CHECK(out.lines.size() == 20);
}

TEST_CASE("a flood keeps showing a few lines per window, each window summarised", "[unit][log]") {
  Captured out;
  RepeatedLineLimiter limiter(out.sink());
  auto t0 = RepeatedLineLimiter::Clock::time_point{} + 1h;
  for (int second = 0; second < 30; ++second)
    for (int i = 0; i < 100; ++i)
      limiter.write(LogLevel::error, "mllp", "AE for message " + std::to_string(second * 100 + i), t0 + second * 1s);
  limiter.flush_all(t0 + 30s);
  // Three windows of 10 s: 5 lines and one summary each.
  CHECK(out.lines.size() == 18);
  CHECK(out.containing("… and 995 more like this in the last 10 s") == 3);
}

TEST_CASE("the table of shapes is bounded and never hides a new shape", "[unit][log]") {
  Captured out;
  RepeatedLineLimiter::Limits limits;
  limits.max_shapes = 4;
  RepeatedLineLimiter limiter(out.sink(), limits);
  auto t0 = RepeatedLineLimiter::Clock::time_point{} + 1h;
  const std::vector<std::string> words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"};
  for (const auto& word : words)
    for (int i = 0; i < 10; ++i) limiter.write(LogLevel::error, "x", word + " failed", t0);
  // The first four shapes are limited (5 each); the last two found the table
  // full of live windows and were written unlimited (10 each).
  CHECK(out.lines.size() == 4 * 5 + 2 * 10);
  limiter.flush_all(t0 + 1s);
  CHECK(out.containing("… and 5 more like this in the last 1 s") == 4);
}

TEST_CASE("the shape masks ids, numbers and quoted values, not words", "[unit][log]") {
  CHECK(RepeatedLineLimiter::shape_of("message 12345 to 10.0.0.7:2575 failed (attempt 3)") ==
        "message # to # failed (attempt #)");
  CHECK(RepeatedLineLimiter::shape_of("patient 'P100001' not found") == "patient '?' not found");
  CHECK(RepeatedLineLimiter::shape_of("cannot write /data/out/msg-00017.txt: disk full") ==
        "cannot write /data/out/# disk full");  // the word takes its colon
  CHECK(RepeatedLineLimiter::shape_of("request 6F175F30-B338-11E3-9804-010000005129 can't be read") ==
        "request # can't be read");
  CHECK(RepeatedLineLimiter::shape_of("cannot open inbox") != RepeatedLineLimiter::shape_of("cannot open outbox"));
}
