// Dates in HL7 v2 (DT/TS/DTM: YYYY[MM[DD[HHMM[SS[.S]]]]][+ZZZZ]) and FHIR
// (date/dateTime/instant: YYYY[-MM[-DD[Thh:mm:ss[.s](Z|+hh:mm)]]]), shifted by
// whole days (time of day and zone kept, so intervals within a patient hold),
// reduced to the year, or removed.
#pragma once
#include "deid/profile.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace artery::deid {

// True when the whole text is an HL7 date with at least a day (8+ digits,
// a real calendar date between 1800 and 2199).
bool is_hl7_date(std::string_view text);
bool is_fhir_date(std::string_view text);  // with at least a month

// `mode` is shift, year or remove. A value with no day (YYYYMM) is reduced to
// its year when shifted. nullopt: the text is not a date of that format.
std::optional<std::string> transform_hl7_date(std::string_view text, Mode mode, int offset_days);
std::optional<std::string> transform_fhir_date(std::string_view text, Mode mode, int offset_days);

// Ages over 89 are one category under Safe Harbor: a birth year more than 89
// years before `current_year` becomes current_year - 90.
int clamp_birth_year(int year, int current_year);
int current_year();

}  // namespace artery::deid
