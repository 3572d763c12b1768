#include "admin/time_text.hpp"

#include "clock/unix_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace artery::admin {
namespace {

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<std::int64_t> parse_iso(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::string copy(text);
  int used = 0;
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) return std::nullopt;
  std::string_view rest = text.substr(10);
  std::int64_t offset_s = 0;
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
    copy = std::string(rest.substr(1));
    if (std::sscanf(copy.c_str(), "%2d:%2d%n", &h, &mi, &used) != 2) return std::nullopt;
    rest = rest.substr(1 + static_cast<std::size_t>(used));
    if (!rest.empty() && rest[0] == ':') {
      copy = std::string(rest.substr(1));
      if (std::sscanf(copy.c_str(), "%2d%n", &s, &used) != 1) return std::nullopt;
      rest = rest.substr(1 + static_cast<std::size_t>(used));
    }
    if (!rest.empty() && rest[0] == '.') {  // fractions of a second: ignored
      std::size_t n = 1;
      while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
      rest = rest.substr(n);
    }
    if (rest == "Z" || rest.empty()) {
    } else if ((rest[0] == '+' || rest[0] == '-') && rest.size() == 6 && rest[3] == ':') {
      int oh = 0, om = 0;
      copy = std::string(rest.substr(1));
      if (std::sscanf(copy.c_str(), "%2d:%2d", &oh, &om) != 2) return std::nullopt;
      offset_s = (rest[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
      return std::nullopt;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::int64_t epoch = static_cast<std::int64_t>(timegm(&tm));
  return (epoch - offset_s) * 1000;
}

}  // namespace

std::optional<std::int64_t> parse_time_or_age(std::string_view text, std::int64_t now_ms) {
  if (text.empty()) return std::nullopt;
  if (all_digits(text)) {
    if (text.size() > 15) return std::nullopt;
    return std::stoll(std::string(text));
  }
  const char unit = text.back();
  const std::string_view number = text.substr(0, text.size() - 1);
  if (all_digits(number) && number.size() < 10) {
    std::int64_t n = std::stoll(std::string(number));
    std::int64_t unit_ms = unit == 's' ? 1000 : unit == 'm' ? 60'000 : unit == 'h' ? 3'600'000 : unit == 'd' ? 86'400'000 : 0;
    if (unit_ms) return (now_ms ? now_ms : unix_time_ms()) - n * unit_ms;
  }
  return parse_iso(text);
}

}  // namespace artery::admin
