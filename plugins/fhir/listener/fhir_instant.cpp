#include "listener/fhir_instant.hpp"

#include "clock/civil_days.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace artery::fhir {
namespace {

using civil::days_from_civil;

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

constexpr std::int64_t kDay = 86'400'000;

}  // namespace

std::optional<TimeRange> parse_fhir_time(std::string_view s) {
  int year = 0, month = 1, day = 1;
  if (!digits(s, 0, 4, year)) return std::nullopt;
  if (s.size() == 4) {
    return TimeRange{days_from_civil(year, 1, 1) * kDay, days_from_civil(year + 1, 1, 1) * kDay};
  }
  if (s.size() < 7 || s[4] != '-' || !digits(s, 5, 2, month) || month < 1 || month > 12) return std::nullopt;
  if (s.size() == 7) {
    int ny = month == 12 ? year + 1 : year, nm = month == 12 ? 1 : month + 1;
    return TimeRange{days_from_civil(year, static_cast<unsigned>(month), 1) * kDay,
                     days_from_civil(ny, static_cast<unsigned>(nm), 1) * kDay};
  }
  if (s.size() < 10 || s[7] != '-' || !digits(s, 8, 2, day) || day < 1 || day > 31) return std::nullopt;
  const std::int64_t midnight = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * kDay;
  if (s.size() == 10) return TimeRange{midnight, midnight + kDay};
  int hour = 0, minute = 0, second = 0;
  if (s[10] != 'T' || !digits(s, 11, 2, hour) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2, minute))
    return std::nullopt;
  std::size_t at = 16;
  std::int64_t precision = 60'000;
  if (at < s.size() && s[at] == ':') {
    if (!digits(s, at + 1, 2, second)) return std::nullopt;
    at += 3;
    precision = 1000;
  }
  std::int64_t millis = 0;
  if (at < s.size() && s[at] == '.') {
    ++at;
    std::int64_t scale = 1000;
    std::size_t start = at;
    while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) {
      if (scale > 1) {
        scale /= 10;
        millis += (s[at] - '0') * scale;
      }
      ++at;
    }
    if (at == start) return std::nullopt;
    precision = 1;
  }
  std::int64_t offset_ms = 0;
  if (at < s.size()) {
    if (s[at] == 'Z') {
      ++at;
    } else if (s[at] == '+' || s[at] == '-') {
      int oh = 0, om = 0;
      if (!digits(s, at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' || !digits(s, at + 4, 2, om))
        return std::nullopt;
      offset_ms = (oh * 60 + om) * 60'000LL * (s[at] == '+' ? 1 : -1);
      at += 6;
    } else {
      return std::nullopt;
    }
  }
  if (at != s.size() || hour > 24 || minute > 59 || second > 60) return std::nullopt;
  const std::int64_t low = midnight + hour * 3'600'000LL + minute * 60'000LL + second * 1000LL + millis - offset_ms;
  return TimeRange{low, low + precision};
}

std::string format_instant(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buffer;
}

}  // namespace artery::fhir
