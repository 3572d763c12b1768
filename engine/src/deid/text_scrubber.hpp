// Free text: the identifiers a pattern can recognise (emails, URLs, IPs,
// dates, SSNs, NHS numbers with a valid mod-11 check digit, phone numbers,
// "Dr Name" and "SURNAME, GIVEN", MRN-like tokens) and every value the record
// itself gave as a name, id, phone or address ("known values": a patient's
// surname in a note is found because PID-5 named it) become [TAG]s.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace artery::deid {

bool nhs_check_digit_ok(std::string_view ten_digits);

class TextScrubber {
 public:
  // A value to find again in text, whole-word and ignoring case. Short values
  // (under 3 characters; under 4 when all digits) are ignored: they would hit
  // ordinary words and numbers.
  void add_known(std::string_view value, const char* tag);
  // Names written in free text in the "Dr Name" or "SURNAME, GIVEN" shapes,
  // learnt as known values, so the same name is found again where it stands
  // alone ("read back to K Boyle" after "by BOYLE, KRISTEN C").
  void learn_names(std::string_view text);
  bool is_known(std::string_view value) const;
  // Free text (notes, OBX text, Z-segments): every pattern and known value.
  std::string scrub_free_text(std::string_view text) const;
  // Structured text (codes, facility names, units): known values and the
  // patterns that cannot be mistaken for codes (email, URL, IP, SSN, NHS).
  std::string scrub_structured(std::string_view text) const;

 private:
  std::string replace_known(std::string text) const;
  struct Known {
    std::string lower;
    const char* tag;
  };
  std::vector<Known> known_;
};

}  // namespace artery::deid
