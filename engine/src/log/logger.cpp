#include "log/logger.hpp"

#include "log/repeated_line_limiter.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>

namespace artery::logger {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::info)};

const char* name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO ";
    case LogLevel::warn: return "WARN ";
    case LogLevel::error: return "ERROR";
  }
  return "?";
}

void write_line(LogLevel level, std::string_view component, std::string_view text) {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string line;
  line.reserve(64 + component.size() + text.size());
  line += stamp;
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ ", static_cast<int>(millis));
  line += ms;
  line += name(level);
  line += " [";
  line += component;
  line += "] ";
  line += text;
  line += '\n';
  // One fwrite per line: stdio locks the stream, so lines never interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// The limiter shared by every thread, and the thread that writes a flood's
// summary once its window ends even when nothing else is logged after it.
// Never destroyed: threads may still log while the process exits; the
// pending summaries are written by an atexit handler instead.
class RepeatedLines {
 public:
  static RepeatedLines& instance() {
    static RepeatedLines* lines = [] {
      auto* made = new RepeatedLines;
      std::atexit([] { instance().stop(); });
      return made;
    }();
    return *lines;
  }

  void write(LogLevel level, std::string_view component, std::string_view text) {
    std::lock_guard lock(mutex_);
    limiter_.write(level, component, text, RepeatedLineLimiter::Clock::now());
    if (limiter_.has_suppressed() && !flusher_.joinable() && !stopped_)
      flusher_ = std::thread([this] { flush_every_second(); });
  }

 private:
  RepeatedLines() : limiter_(write_line) {}

  void flush_every_second() {
    std::unique_lock lock(mutex_);
    while (!stopped_) {
      wake_.wait_for(lock, std::chrono::seconds(1));
      limiter_.flush_expired(RepeatedLineLimiter::Clock::now());
    }
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    std::lock_guard lock(mutex_);
    limiter_.flush_all(RepeatedLineLimiter::Clock::now());
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  RepeatedLineLimiter limiter_;
  std::thread flusher_;
  bool stopped_ = false;
};

}  // namespace

void set_level(LogLevel level) { g_level = static_cast<int>(level); }
bool enabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void write(LogLevel level, std::string_view component, std::string_view text) {
  if (!enabled(level)) return;
  // Debug output is asked for by the operator, line by line: not limited.
  if (level == LogLevel::debug) {
    write_line(level, component, text);
    return;
  }
  RepeatedLines::instance().write(level, component, text);
}

}  // namespace artery::logger
