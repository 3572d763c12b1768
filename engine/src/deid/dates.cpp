#include "deid/dates.hpp"

#include "clock/civil_days.hpp"

#include <chrono>
#include <cstdio>

namespace artery::deid {
namespace {

using civil::civil_from_days;
using civil::days_from_civil;

bool digits(std::string_view s, std::size_t from, std::size_t n) {
  if (s.size() < from + n) return false;
  for (std::size_t i = from; i < from + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int number(std::string_view s, std::size_t from, std::size_t n) {
  int v = 0;
  for (std::size_t i = from; i < from + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool valid_day(int y, int m, int d) {
  if (y < 1800 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

// HL7 time part after YYYYMMDD: HH[MM[SS[.S{1,4}]]] then an optional +/-ZZZZ.
bool hl7_tail_ok(std::string_view t) {
  std::size_t i = 0;
  std::size_t run = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++run;
  if (run != 0 && run != 2 && run != 4 && run != 6) return false;
  if (i < t.size() && t[i] == '.') {
    if (run != 6) return false;
    std::size_t f = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == f || i - f > 4) return false;
  }
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    if (!digits(t, i + 1, 4) || t.size() != i + 5) return false;
    i += 5;
  }
  return i == t.size();
}

}  // namespace

bool is_hl7_date(std::string_view s) {
  return digits(s, 0, 8) && valid_day(number(s, 0, 4), number(s, 4, 2), number(s, 6, 2)) && hl7_tail_ok(s.substr(8));
}

bool is_fhir_date(std::string_view s) {
  if (!digits(s, 0, 4) || s.size() < 7 || s[4] != '-' || !digits(s, 5, 2)) return false;
  const int m = number(s, 5, 2);
  if (s.size() == 7) return m >= 1 && m <= 12;
  if (s.size() < 10 || s[7] != '-' || !digits(s, 8, 2)) return false;
  if (!valid_day(number(s, 0, 4), m, number(s, 8, 2))) return false;
  if (s.size() == 10) return true;
  if (s[10] != 'T') return false;
  for (char c : s.substr(11))
    if (!((c >= '0' && c <= '9') || c == ':' || c == '.' || c == 'Z' || c == '+' || c == '-')) return false;
  return true;
}

std::optional<std::string> transform_hl7_date(std::string_view s, Mode mode, int offset) {
  if (!is_hl7_date(s)) {
    // YYYYMM: too coarse to shift by days; its year is all that stays.
    if (s.size() == 6 && digits(s, 0, 6) && number(s, 4, 2) >= 1 && number(s, 4, 2) <= 12)
      return mode == Mode::remove ? std::string() : std::string(s.substr(0, 4));
    return std::nullopt;
  }
  if (mode == Mode::remove) return std::string();
  if (mode == Mode::year) return std::string(s.substr(0, 4));
  int y, m, d;
  civil_from_days(days_from_civil(number(s, 0, 4), number(s, 4, 2), number(s, 6, 2)) + offset, y, m, d);
  char head[40];  // room for any int, so the compiler can prove no truncation
  std::snprintf(head, sizeof head, "%04d%02d%02d", y, m, d);
  return std::string(head) + std::string(s.substr(8));
}

std::optional<std::string> transform_fhir_date(std::string_view s, Mode mode, int offset) {
  if (!is_fhir_date(s)) return std::nullopt;
  if (mode == Mode::remove) return std::string();
  if (mode == Mode::year || s.size() == 7) return std::string(s.substr(0, 4));
  int y, m, d;
  civil_from_days(days_from_civil(number(s, 0, 4), number(s, 5, 2), number(s, 8, 2)) + offset, y, m, d);
  char head[40];  // room for any int, so the compiler can prove no truncation
  std::snprintf(head, sizeof head, "%04d-%02d-%02d", y, m, d);
  return std::string(head) + std::string(s.substr(10));
}

int clamp_birth_year(int year, int now) { return now - year > 89 ? now - 90 : year; }

int current_year() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return static_cast<int>(std::chrono::year_month_day(today).year());
}

}  // namespace artery::deid
