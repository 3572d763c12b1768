#include "deid/text_scrubber.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace artery::deid {
namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

using Check = bool (*)(const std::string&);

// What a text holds, counted once, so a pattern that cannot match is not run:
// most fields are short codes, and std::regex is slow.
struct Facts {
  int digits = 0, digit_run = 0;
  bool at = false, scheme = false, www = false, dot = false, dash = false, upper = false, comma = false;
  explicit Facts(const std::string& t) {
    int run = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const char c = t[i];
      if (c >= '0' && c <= '9') {
        ++digits;
        digit_run = std::max(digit_run, ++run);
      } else {
        run = 0;
      }
      at |= c == '@';
      dot |= c == '.';
      dash |= c == '-';
      comma |= c == ',';
      upper |= c >= 'A' && c <= 'Z';
      scheme |= c == ':' && t.compare(i, 3, "://") == 0;
      www |= (c == 'w' || c == 'W') && i + 4 <= t.size() && (t[i + 1] | 32) == 'w' && (t[i + 2] | 32) == 'w' && t[i + 3] == '.';
    }
  }
};
using Worth = bool (*)(const Facts&);

struct Pattern {
  std::regex re;
  const char* tag;
  Worth worth;
  Check check = nullptr;  // a match that fails it stays
};

bool nhs_match(const std::string& m) {
  std::string d;
  for (char c : m)
    if (c >= '0' && c <= '9') d.push_back(c);
  return d.size() == 10 && nhs_check_digit_ok(d);
}

const std::regex::flag_type kFlags = std::regex::ECMAScript | std::regex::optimize;
const std::regex::flag_type kIcase = kFlags | std::regex::icase;

const std::vector<Pattern>& safe_patterns() {
  static const std::vector<Pattern> patterns = {
      {std::regex(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)", kFlags), "[EMAIL]", [](const Facts& f) { return f.at; }},
      {std::regex(R"(\b(https?|ftp)://[^\s<>"'|^~&\\]+)", kIcase), "[URL]", [](const Facts& f) { return f.scheme; }},
      {std::regex(R"(\bwww\.[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+[^\s<>"'|^~&\\]*)", kIcase), "[URL]", [](const Facts& f) { return f.www; }},
      // Not inside an OID (2.16.840.1.113883...): no digit or dot on either side.
      {std::regex(R"((^|[^0-9.])(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![0-9]|\.[0-9]))", kFlags), "$1[IP]", [](const Facts& f) { return f.dot && f.digits >= 4; }},
      {std::regex(R"(\b\d{3}-\d{2}-\d{4}\b)", kFlags), "[ID]", [](const Facts& f) { return f.dash && f.digits >= 9; }},
      {std::regex(R"(\b\d{3}[ -]?\d{3}[ -]?\d{4}\b)", kFlags), "[ID]", [](const Facts& f) { return f.digits >= 10; }, nhs_match},
  };
  return patterns;
}

const std::vector<Pattern>& free_text_patterns() {
  static const char* months = "(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?";
  static const std::vector<Pattern> patterns = {
      {std::regex(R"(\b\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)", kFlags), "[DATE]", [](const Facts& f) { return f.dash && f.digits >= 8; }},
      {std::regex(R"((^|[^0-9.])\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?![0-9]|\.[0-9]))", kFlags), "$1[DATE]", [](const Facts& f) { return f.digits >= 3; }},
      {std::regex(std::string(R"(\b\d{1,2}(st|nd|rd|th)?\s+)") + months + R"(,?\s+\d{4}\b)", kIcase), "[DATE]", [](const Facts& f) { return f.digits >= 5; }},
      {std::regex(std::string(R"(\b)") + months + R"(\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}\b)", kIcase), "[DATE]", [](const Facts& f) { return f.digits >= 5; }},
      {std::regex(R"((\+\d{1,3}[ .-]?)?(\(\d{3}\)\s?\d{3}[ .-]?\d{4}|\b\d{3}[.-]\d{3}[.-]\d{4})\b)", kFlags), "[PHONE]", [](const Facts& f) { return f.digits >= 10; }},
      {std::regex(R"(\b0\d{2,4} \d{3,4} ?\d{3,4}\b)", kFlags), "[PHONE]", [](const Facts& f) { return f.digits >= 9; }},
      {std::regex(R"(\b(Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+[A-Z][A-Za-z'-]+(\s+[A-Z][A-Za-z'-]+)?)", kFlags), "[NAME]", [](const Facts& f) { return f.upper; }},
      {std::regex(R"(\b[A-Z][A-Z'-]+, [A-Z][A-Z'-]+( [A-Z]\b)?)", kFlags), "[NAME]", [](const Facts& f) { return f.comma && f.upper; }},
      // A person after a label that names a role in the report ("Received
      // From : K Gresco (Lab)", "Read Back : K Boyle", "Verified by J Smith"):
      // an initial and a surname, or a given name and a surname.
      {std::regex(R"(\b((received from|read back|notified|called to|reported by|verified by|signed by|performed by|collected by|reviewed by|ordered by|dictated by|transcribed by|read back by|attending|technician)\s*:?\s*)([A-Z]\.?\s?[A-Z][A-Za-z'-]+|[A-Z][a-z'-]+\s+[A-Z][A-Za-z'-]+))", kIcase), "$1[NAME]", [](const Facts& f) { return f.upper; }},
      // Not a part of an OID or a decimal number.
      {std::regex(R"((^|[^0-9A-Za-z.])[A-Za-z]{0,3}\d{6,}[A-Za-z]?(?![0-9A-Za-z]|\.[0-9]))", kFlags), "$1[ID]", [](const Facts& f) { return f.digit_run >= 6; }},
  };
  return patterns;
}

std::string apply_pattern(const Pattern& p, const std::string& text) {
  if (!p.worth(Facts(text))) return text;
  if (!p.check) return std::regex_replace(text, p.re, p.tag);
  std::string out;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), p.re); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    const auto pos = static_cast<std::size_t>(m.position(0));
    out.append(text, last, pos - last);
    out += p.check(m.str(0)) ? std::string(p.tag) : m.str(0);
    last = pos + static_cast<std::size_t>(m.length(0));
  }
  out.append(text, last, std::string::npos);
  return out;
}

}  // namespace

bool nhs_check_digit_ok(std::string_view d) {
  if (d.size() != 10) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (d[static_cast<std::size_t>(i)] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  return check != 10 && check == d[9] - '0';
}

const std::regex& name_shapes() {
  static const std::regex re(
      // "SURNAME, GIVEN" only with an initial after it or "by" before it:
      // "SODIUM, SERUM" in a report is not a person.
      R"(\b(Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+([A-Z][A-Za-z'-]+)(\s+[A-Z][A-Za-z'-]+)?|\b([A-Z][A-Z'-]+), ([A-Z][A-Z'-]+) [A-Z]\b|\bby ([A-Z][A-Z'-]+), ([A-Z][A-Z'-]+))",
      kFlags);
  return re;
}

void TextScrubber::learn_names(std::string_view input) {
  const std::string text(input);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name_shapes()); it != std::sregex_iterator(); ++it)
    for (int group : {2, 3, 4, 5, 6, 7})
      if ((*it)[group].matched) add_known((*it)[group].str(), "[NAME]");
}

bool TextScrubber::is_known(std::string_view value) const {
  const std::string key = lower(value);
  for (const auto& k : known_)
    if (k.lower == key) return true;
  return false;
}

void TextScrubber::add_known(std::string_view value, const char* tag) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  const bool all_digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  if (value.size() < 3 || (all_digits && value.size() < 4)) return;
  if (!std::any_of(value.begin(), value.end(), alnum)) return;
  std::string key = lower(value);
  for (const auto& k : known_)
    if (k.lower == key) return;
  known_.push_back({std::move(key), tag});
  // Longest first, so "Mary Ann" goes before "Mary".
  std::stable_sort(known_.begin(), known_.end(), [](const Known& a, const Known& b) { return a.lower.size() > b.lower.size(); });
}

std::string TextScrubber::replace_known(std::string text) const {
  std::string low = lower(text);
  for (const auto& k : known_) {
    if (k.lower.size() > low.size() || low.find(k.lower) == std::string::npos) continue;
    std::string out;
    std::size_t last = 0;
    std::size_t pos = 0;
    while ((pos = low.find(k.lower, pos)) != std::string::npos) {
      const std::size_t end = pos + k.lower.size();
      const bool starts = pos == 0 || !alnum(text[pos - 1]) || !alnum(text[pos]);
      const bool ends = end == text.size() || !alnum(text[end]) || !alnum(text[end - 1]);
      if (starts && ends) {
        out.append(text, last, pos - last);
        out += k.tag;
        last = end;
      }
      pos = end;
    }
    if (last != 0) {
      out.append(text, last, std::string::npos);
      text = std::move(out);
      low = lower(text);
    }
  }
  return text;
}

std::string TextScrubber::scrub_structured(std::string_view input) const {
  std::string text(input);
  for (const auto& p : safe_patterns()) text = apply_pattern(p, text);
  return replace_known(std::move(text));
}

std::string TextScrubber::scrub_free_text(std::string_view input) const {
  std::string text(input);
  for (const auto& p : safe_patterns()) text = apply_pattern(p, text);
  for (const auto& p : free_text_patterns()) text = apply_pattern(p, text);
  return replace_known(std::move(text));
}

}  // namespace artery::deid
