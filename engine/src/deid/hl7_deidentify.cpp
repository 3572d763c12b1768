// HL7 v2 de-identification on the encoded text: fields are split on the
// message's own delimiters (escape sequences never contain a raw delimiter),
// so what is not an identifier passes through byte for byte.
#include "deid/dates.hpp"
#include "deid/deidentify.hpp"
#include "deid/hl7_field_classes.hpp"
#include "deid/keyed_hash.hpp"
#include "deid/text_scrubber.hpp"

#include <artery/hl7.hpp>

#include <functional>
#include <stdexcept>
#include <vector>

namespace artery::deid {
namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back(sep);
    out += parts[i];
  }
  return out;
}

std::string trim_trailing(std::string s, char sep) {
  while (!s.empty() && s.back() == sep) s.pop_back();
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "USA", "GB", "CA": a country or state code misplaced in another address
// part is no street to look for in the rest of the message.
bool country_like(std::string_view v) {
  if (v.empty() || v.size() > 3) return false;
  for (char c : v)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_header(std::string_view name) { return name == "MSH" || name == "FHS" || name == "BHS"; }

// One line's fields: field n is at index n (for MSH/FHS/BHS, MSH-1 is the
// separator itself, so index 1 holds MSH-2).
struct Segment {
  std::string name;
  std::vector<std::string> tokens;
  int field_number(std::size_t index) const { return is_header(name) ? static_cast<int>(index) + 1 : static_cast<int>(index); }
};

class Hl7Deidentifier {
 public:
  Hl7Deidentifier(const Profile& profile, const hl7::Delimiters& d) : p_(profile), hash_(profile.key), d_(d) {}

  std::string run(std::string_view text) {
    std::vector<std::string> lines;
    for (auto& line : split(text, '\r')) {
      for (auto& piece : split(line, '\n'))
        if (!piece.empty()) lines.push_back(std::move(piece));
    }
    std::vector<Segment> segments;
    for (auto& line : lines) {
      Segment s;
      s.tokens = split(line, d_.field);
      s.name = s.tokens[0];
      segments.push_back(std::move(s));
    }
    for (const auto& s : segments) collect(s);
    std::string out;
    int offset = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (segments[i].name == "MSH") offset = hash_.date_offset(patient_key(segments, i), p_.shift_days);
      std::string line;
      if (!process(segments[i], offset, line)) continue;
      out += line;
      out.push_back('\r');
    }
    return out;
  }

 private:
  // The patient of the message starting at `msh`: its first PID's MR
  // identifier (else the first one), so the key matches the FHIR side's.
  std::string patient_key(const std::vector<Segment>& segments, std::size_t msh) const {
    for (std::size_t i = msh + 1; i < segments.size() && segments[i].name != "MSH"; ++i) {
      if (segments[i].name != "PID") continue;
      const auto& t = segments[i].tokens;
      for (std::size_t f : {3u, 2u, 4u}) {
        if (t.size() <= f) continue;
        std::string first;
        for (const auto& rep : split(t[f], d_.repetition)) {
          auto comps = split(rep, d_.component);
          if (comps[0].empty()) continue;
          if (comps.size() > 4 && upper(comps[4]) == "MR") return comps[0];
          if (first.empty()) first = comps[0];
        }
        if (!first.empty()) return first;
      }
      return "";
    }
    return "";
  }

  FieldClass class_of(const Segment& s, std::size_t index) const {
    return field_class(s.name, s.field_number(index));
  }

  // ---- first pass: values the record gives, to find again in free text ----
  // A name's words are found one by one ("Eve" alone in a note); an address,
  // phone or id only whole: "Park" of "2070 Test Park" is everyone's word.
  void add_words(const std::string& value, const char* tag) {
    const std::string plain = hl7::unescape(value, d_);
    scrubber_.add_known(plain, tag);
    if (std::string_view(tag) == "[NAME]")
      for (const auto& word : split(plain, ' ')) scrubber_.add_known(word, tag);
  }

  void collect_name(const std::string& field, bool provider) {
    for (const auto& rep : split(field, d_.repetition)) {
      auto comps = split(rep, d_.component);
      const std::size_t first = provider ? 1 : 0;
      if (provider && !comps[0].empty()) add_words(comps[0], comps.size() == 1 ? "[NAME]" : "[ID]");
      for (std::size_t c = first; c < comps.size() && c < first + 3; ++c)
        for (const auto& sub : split(comps[c], d_.subcomponent)) add_words(sub, "[NAME]");
      if (comps.size() > first + 1) add_words(comps[first + 1] + " " + comps[first], "[NAME]");
    }
  }

  void collect(const Segment& s) {
    for (std::size_t i = 1; i < s.tokens.size(); ++i) {
      if (is_header(s.name) && i == 1) continue;
      const std::string& f = s.tokens[i];
      if (f.empty()) continue;
      switch (class_of(s, i)) {
        case FieldClass::name: collect_name(f, false); break;
        case FieldClass::provider: collect_name(f, true); break;
        case FieldClass::identifier:
          for (const auto& rep : split(f, d_.repetition)) {
            auto c = split(rep, d_.component);
            add_words(c[0], "[ID]");
            // EI-3, a universal id: a GUID names one thing; an OID (digits and dots) an authority.
            if (c.size() > 2 && c[2].size() >= 8 && c[2].find_first_not_of("0123456789.") != std::string::npos)
              add_words(c[2], "[ID]");
          }
          break;
        case FieldClass::remove:
          if (s.name != "QPD" && s.name != "ERQ" && s.name != "QRD")  // query syntax, not values
            for (const auto& rep : split(f, d_.repetition))
              for (const auto& comp : split(rep, d_.component)) scrubber_.add_known(hl7::unescape(comp, d_), "[REDACTED]");
          break;
        case FieldClass::free_text: scrubber_.learn_names(hl7::unescape(f, d_)); break;
        case FieldClass::obx_value: {
          const std::string type = s.tokens.size() > 2 ? upper(s.tokens[2]) : "";
          if (type == "ST" || type == "TX" || type == "FT" || type.empty()) scrubber_.learn_names(hl7::unescape(f, d_));
          break;
        }
        case FieldClass::telecom:
          for (const auto& rep : split(f, d_.repetition)) {
            auto c = split(rep, d_.component);
            add_words(c[0], "[PHONE]");
            if (c.size() > 3) add_words(c[3], "[EMAIL]");
            if (c.size() > 6) {
              add_words(c[6], "[PHONE]");
              add_words(c[5] + c[6], "[PHONE]");
            }
          }
          break;
        case FieldClass::address:
          for (const auto& rep : split(f, d_.repetition)) {
            auto c = split(rep, d_.component);
            for (std::size_t k : {0u, 1u, 2u, 4u, 7u, 8u})
              if (k < c.size())
                for (const auto& sub : split(c[k], d_.subcomponent))
                  if (!country_like(sub)) add_words(sub, "[ADDRESS]");
          }
          break;
        case FieldClass::birth_date: scrubber_.add_known(split(f, d_.component)[0], "[DATE]"); break;
        default: break;
      }
    }
  }

  // ---- second pass ----
  // Applies `fn` to the text between escape sequences, keeping \X..\ intact.
  std::string outside_escapes(const std::string& raw, const std::function<std::string(const std::string&)>& fn) const {
    std::string out;
    std::size_t pos = 0;
    while (pos < raw.size()) {
      const std::size_t open = raw.find(d_.escape, pos);
      const std::size_t close = open == std::string::npos ? std::string::npos : raw.find(d_.escape, open + 1);
      if (open == std::string::npos || close == std::string::npos) {
        out += fn(raw.substr(pos));
        break;
      }
      out += fn(raw.substr(pos, open - pos));
      out.append(raw, open, close - open + 1);
      pos = close + 1;
    }
    return out;
  }

  std::string free_text(const std::string& raw) const {
    if (p_.free_text == Mode::remove) return "";
    return outside_escapes(raw, [this](const std::string& t) { return scrubber_.scrub_free_text(t); });
  }

  // ID^FAMILY^GIVEN^MIDDLE^SUFFIX^PREFIX^DEGREE with a title or a degree: a
  // person in a field the table does not name (senders misplace them).
  static bool person_shaped(const std::vector<std::string>& comps) {
    static const char* titles[] = {"DR", "DR.", "MR", "MR.", "MRS", "MRS.", "MS", "MS.", "MISS", "PROF"};
    static const char* degrees[] = {"MD", "DO", "RN", "PHD", "NP", "PA", "MBBS", "DDS", "LPN", "MS", "MA"};
    if (comps.size() < 6 || comps[1].empty()) return false;
    for (const char* t : titles)
      if (upper(comps[5]) == t) return true;
    if (comps.size() > 6)
      for (const char* d : degrees)
        if (upper(comps[6]) == d) return true;
    return false;
  }

  // Every leaf (subcomponent) of a field: a date is shifted, the rest scrubbed.
  std::string generic(const std::string& field, int offset) const {
    auto reps = split(field, d_.repetition);
    for (auto& rep : reps) {
      auto comps = split(rep, d_.component);
      if (person_shaped(comps)) {
        rep = person(rep, p_.providers == Mode::keep ? Mode::mask : p_.providers, "provider", "D", true);
        continue;
      }
      for (auto& comp : comps) {
        auto subs = split(comp, d_.subcomponent);
        for (auto& sub : subs) {
          if (auto date = transform_hl7_date(sub, p_.dates, offset)) sub = *date;
          else
            sub = outside_escapes(sub, [this](const std::string& t) { return scrubber_.scrub_structured(t); });
        }
        comp = join(subs, d_.subcomponent);
      }
      rep = join(comps, d_.component);
    }
    return join(reps, d_.repetition);
  }

  std::string person(const std::string& field, Mode mode, const char* domain, const char* prefix, bool provider) const {
    switch (mode) {
      case Mode::keep: return field;
      case Mode::remove: return "";
      case Mode::mask: return p_.mask;
      default: {
        auto comps = split(split(field, d_.repetition)[0], d_.component);
        std::string basis = provider && !comps[0].empty() ? comps[0] : upper(join(comps, ' '));
        return prefix + hash_.pseudonym(domain, basis);
      }
    }
  }

  std::string identifier(const std::string& field) const {
    if (p_.identifiers == Mode::remove) return "";
    auto reps = split(field, d_.repetition);
    for (auto& rep : reps) {
      auto c = split(rep, d_.component);
      std::vector<std::string> out(c.size() > 4 ? 5 : c.size());
      if (!c[0].empty()) {
        const std::string value = hl7::unescape(c[0], d_);
        out[0] = p_.identifiers == Mode::mask ? p_.mask : hash_.pseudonym("id", value);
      }
      if (c.size() > 3) out[3] = c[3];  // assigning authority: names the issuer, not the patient
      if (c.size() > 4) out[4] = c[4];                // identifier type (MR, SS, NH...)
      rep = trim_trailing(join(out, d_.component), d_.component);
    }
    return join(reps, d_.repetition);
  }

  std::string generic_text(const std::string& raw) const {
    return outside_escapes(raw, [this](const std::string& t) { return scrubber_.scrub_structured(t); });
  }

  std::string telecom(const std::string& field) const {
    if (p_.telecom == Mode::remove) return "";
    if (p_.telecom == Mode::mask) return p_.mask;
    std::string digits;
    for (char c : field)
      if ((c >= '0' && c <= '9') || c == '@') digits.push_back(c);
    return "T" + hash_.pseudonym("telecom", digits.empty() ? field : digits);
  }

  // Below-state parts go; state (XAD-4) stays when kept, country (XAD-6) and
  // address type (XAD-7) stay, and ZIP (XAD-5) becomes its first 3 digits when
  // zip3 is kept and the 3-digit area holds more than 20,000 people.
  std::string address(const std::string& field) const {
    if (p_.addresses == Mode::mask) return p_.mask;
    auto reps = split(field, d_.repetition);
    for (auto& rep : reps) {
      auto c = split(rep, d_.component);
      std::vector<std::string> out(std::min<std::size_t>(c.size(), 7));
      // A state or country that holds a digit, or a value the record gives as a
      // street, city or postcode elsewhere, is not what it claims (misplaced
      // components happen) and goes too.
      auto plain_code = [this](const std::string& v, std::size_t max) {
        return v.size() <= max && v.find_first_of("0123456789") == std::string::npos &&
               !scrubber_.is_known(hl7::unescape(v, d_));
      };
      if (c.size() > 3 && p_.keep_state && plain_code(c[3], 40)) out[3] = c[3];
      if (c.size() > 4 && p_.keep_zip3) out[4] = zip3(c[4]);
      if (c.size() > 5 && plain_code(c[5], 3)) out[5] = c[5];
      if (c.size() > 6) out[6] = c[6];
      rep = trim_trailing(join(out, d_.component), d_.component);
    }
    return trim_trailing(join(reps, d_.repetition), d_.repetition);
  }

  std::string birth_date(const std::string& field, int offset) const {
    const std::string value = split(field, d_.component)[0];
    if (p_.birth_date == Mode::remove || value.size() < 4) return "";
    int year = 0;
    for (int i = 0; i < 4; ++i) {
      if (value[static_cast<std::size_t>(i)] < '0' || value[static_cast<std::size_t>(i)] > '9') return "";
      year = year * 10 + (value[static_cast<std::size_t>(i)] - '0');
    }
    const int now = current_year();
    if (p_.birth_date == Mode::shift) {
      if (auto shifted = transform_hl7_date(value, Mode::shift, offset); shifted && shifted->size() >= 8) {
        const int y = std::stoi(shifted->substr(0, 4));
        if (clamp_birth_year(y, now) == y) return *shifted;
        return std::to_string(clamp_birth_year(y, now));
      }
    }
    if (year < 1800 || year > 2199) return "";
    return std::to_string(clamp_birth_year(year, now));
  }

  std::string obx_value(const Segment& s, const std::string& field, int offset) const {
    const std::string type = s.tokens.size() > 2 ? upper(s.tokens[2]) : "";
    if (type == "ST" || type == "TX" || type == "FT" || type == "") return free_text(field);
    if (type == "DT" || type == "TS" || type == "DTM") return generic(field, offset);
    if (type == "ED" || type == "RP") return "";  // documents, images, links: may show or point to the patient
    if (type == "XPN" || type == "PN") return person(field, p_.names, "name", "P", false);
    if (type == "XCN" || type == "CN") return person(field, p_.providers, "provider", "D", true);
    if (type == "XAD" || type == "AD") return address(field);
    if (type == "XTN" || type == "TN") return telecom(field);
    if (type == "CX") return identifier(field);
    if (!p_.keep_obx_values) return "";
    return generic(field, offset);
  }

  // False: drop the segment.
  bool process(Segment& s, int offset, std::string& line) const {
    const bool z = s.name.size() == 3 && s.name[0] == 'Z';
    if (z && p_.unknown_segments == Mode::remove) return false;
    for (std::size_t i = 1; i < s.tokens.size(); ++i) {
      if (is_header(s.name) && i == 1) continue;
      std::string& f = s.tokens[i];
      if (f.empty() || f == "\"\"") continue;
      if (z) {
        f = free_text(f);
        continue;
      }
      switch (class_of(s, i)) {
        case FieldClass::generic: f = generic(f, offset); break;
        case FieldClass::name: f = person(f, p_.names, "name", "P", false); break;
        case FieldClass::provider: f = person(f, p_.providers, "provider", "D", true); break;
        case FieldClass::identifier: f = identifier(f); break;
        case FieldClass::telecom: f = telecom(f); break;
        case FieldClass::address: f = address(f); break;
        case FieldClass::birth_date: f = birth_date(f, offset); break;
        case FieldClass::sex: f = p_.keep_sex ? f : ""; break;
        case FieldClass::free_text: f = free_text(f); break;
        case FieldClass::obx_value: f = obx_value(s, f, offset); break;
        case FieldClass::remove: f = ""; break;
      }
    }
    line = join(s.tokens, d_.field);
    return true;
  }

  static std::string zip3(const std::string& zip) {
    if (zip.size() < 5) return "";
    for (int i = 0; i < 5; ++i)
      if (zip[static_cast<std::size_t>(i)] < '0' || zip[static_cast<std::size_t>(i)] > '9') return "";
    // The 3-digit ZIP areas with 20,000 people or fewer (2000 census), which
    // Safe Harbor requires to be 000.
    static const char* small[] = {"036", "059", "063", "102", "203", "556", "692", "790", "821",
                                  "823", "830", "831", "878", "879", "884", "890", "893"};
    const std::string head = zip.substr(0, 3);
    for (const char* s : small)
      if (head == s) return "000";
    return head;
  }

  const Profile& p_;
  KeyedHash hash_;
  hl7::Delimiters d_;
  TextScrubber scrubber_;
};

hl7::Delimiters delimiters_of(std::string_view text) {
  hl7::Delimiters d;
  if (text.size() < 8) throw std::invalid_argument("HL7 parse error: the header segment is truncated");
  d.field = text[3];
  d.component = text[4];
  d.repetition = text[5];
  d.escape = text[6];
  d.subcomponent = text[7];
  return d;
}

}  // namespace

std::string deidentify_hl7(std::string_view text, const Profile& profile) {
  while (!text.empty() && (text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
  const std::string_view head = text.substr(0, 3);
  if (head == "MSH") {
    hl7::ParseError error;
    // Back-to-back messages: each must parse on its own.
    auto messages = hl7::split_batch(text, &error);
    if (!messages) throw std::invalid_argument("HL7 parse error: " + error.message);
    for (const auto& m : *messages)
      if (!hl7::Message::parse(m, &error))
        throw std::invalid_argument("HL7 parse error: " + error.message + " at offset " + std::to_string(error.offset));
  } else if (head == "FHS" || head == "BHS") {
    hl7::ParseError error;
    auto messages = hl7::split_batch(text, &error);
    if (!messages) throw std::invalid_argument("HL7 parse error: " + error.message);
    for (const auto& m : *messages)
      if (!hl7::Message::parse(m, &error)) throw std::invalid_argument("HL7 parse error: " + error.message);
  } else {
    throw std::invalid_argument("not an HL7 v2 message: it must start with MSH, FHS or BHS");
  }
  Hl7Deidentifier deidentifier(profile, delimiters_of(text));
  return deidentifier.run(text);
}

}  // namespace artery::deid
