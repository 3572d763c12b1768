#include "consent/consent_time.hpp"

#include "clock/civil_days.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace artery::consent {
namespace {

using civil::days_from_civil;

unsigned days_in_month(std::int64_t y, unsigned m) {
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// Reads exactly `n` digits at `at`; false when they are not there.
bool digits(std::string_view text, std::size_t& at, std::size_t n, int& out) {
  if (at + n > text.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[at + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  at += n;
  return true;
}

// Fields present so far; the span is from the first instant of the least
// precise one to the first instant after it.
struct Parts {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  int precision = 0;  // 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 millisecond
  std::int64_t offset_ms = 0;
};

std::optional<TimeSpan> to_span(const Parts& p) {
  if (p.month < 1 || p.month > 12) return std::nullopt;
  if (p.day < 1 || p.day > static_cast<int>(days_in_month(p.year, static_cast<unsigned>(p.month)))) return std::nullopt;
  if (p.hour > 23 || p.minute > 59 || p.second > 60) return std::nullopt;
  std::int64_t day = days_from_civil(p.year, static_cast<unsigned>(p.month), static_cast<unsigned>(p.day));
  std::int64_t low = ((day * 24 + p.hour) * 60 + p.minute) * 60'000 + p.second * 1000 + p.millis - p.offset_ms;
  std::int64_t high = low;
  switch (p.precision) {
    case 1: high = days_from_civil(p.year + 1, 1, 1) * 86'400'000 - p.offset_ms; break;
    case 2:
      high = (day + days_in_month(p.year, static_cast<unsigned>(p.month))) * 86'400'000 - p.offset_ms;
      break;
    case 3: high = low + 86'400'000; break;
    case 4: high = low + 3'600'000; break;
    case 5: high = low + 60'000; break;
    case 6: high = low + 1000; break;
    default: high = low + 1; break;
  }
  return TimeSpan{low, high};
}

// "Z", "+01:00" (FHIR) or "+0100" (HL7); false on anything else.
bool read_zone(std::string_view text, std::size_t& at, bool colon, Parts& p) {
  if (at == text.size()) return true;
  if (text[at] == 'Z' && colon) {
    ++at;
    return at == text.size();
  }
  if (text[at] != '+' && text[at] != '-') return false;
  int sign = text[at] == '-' ? -1 : 1;
  ++at;
  int hours = 0, minutes = 0;
  if (!digits(text, at, 2, hours)) return false;
  if (colon && (at >= text.size() || text[at++] != ':')) return false;
  if (!digits(text, at, 2, minutes)) return false;
  p.offset_ms = sign * (hours * 60 + minutes) * 60'000LL;
  return at == text.size();
}

bool read_fraction(std::string_view text, std::size_t& at, Parts& p) {
  if (at >= text.size() || text[at] != '.') return true;
  ++at;
  std::size_t start = at;
  int scale = 100;
  while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
    p.millis += (text[at] - '0') * scale;
    scale /= 10;
    ++at;
  }
  p.precision = 7;
  return at > start;
}

}  // namespace

std::optional<TimeSpan> parse_fhir_time(std::string_view text) {
  Parts p;
  std::size_t at = 0;
  if (!digits(text, at, 4, p.year)) return std::nullopt;
  p.precision = 1;
  if (at < text.size()) {
    if (text[at++] != '-' || !digits(text, at, 2, p.month)) return std::nullopt;
    p.precision = 2;
  }
  if (at < text.size()) {
    if (text[at++] != '-' || !digits(text, at, 2, p.day)) return std::nullopt;
    p.precision = 3;
  }
  if (at < text.size()) {
    // A dateTime with a time has minutes at least, and a zone (FHIR requires one; we take UTC without).
    if (text[at++] != 'T' || !digits(text, at, 2, p.hour)) return std::nullopt;
    if (at >= text.size() || text[at++] != ':' || !digits(text, at, 2, p.minute)) return std::nullopt;
    p.precision = 5;
    if (at < text.size() && text[at] == ':') {
      ++at;
      if (!digits(text, at, 2, p.second)) return std::nullopt;
      p.precision = 6;
      if (!read_fraction(text, at, p)) return std::nullopt;
    }
    if (!read_zone(text, at, true, p)) return std::nullopt;
  }
  return to_span(p);
}

std::optional<TimeSpan> parse_hl7_time(std::string_view text) {
  Parts p;
  std::size_t at = 0;
  if (!digits(text, at, 4, p.year)) return std::nullopt;
  p.precision = 1;
  int* fields[] = {&p.month, &p.day, &p.hour, &p.minute, &p.second};
  for (int i = 0; i < 5; ++i) {
    if (at >= text.size() || !std::isdigit(static_cast<unsigned char>(text[at]))) break;
    if (!digits(text, at, 2, *fields[i])) return std::nullopt;
    p.precision = 2 + i;
  }
  if (p.precision == 6 && !read_fraction(text, at, p)) return std::nullopt;
  if (!read_zone(text, at, false, p)) return std::nullopt;
  return to_span(p);
}

std::optional<TimeSpan> parse_any_time(std::string_view text) {
  if (text.size() > 4 && text[4] == '-') return parse_fhir_time(text);
  return text.size() == 4 ? parse_fhir_time(text) : parse_hl7_time(text);
}

std::string_view format_utc(std::int64_t ms, char (&buffer)[32]) {
  std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buffer, n};
}

}  // namespace artery::consent
