// A de-identification profile: what to keep, the mode per identifier class,
// and the secret key behind pseudonyms and date shifts (docs/security.md,
// "De-identification").
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace artery::deid {

enum class Mode { keep, remove, mask, pseudonymise, shift, year };

const char* mode_name(Mode mode);

struct Profile {
  std::string key;  // HMAC key bytes, never empty once loaded
  Mode names = Mode::mask;               // patient, relatives, guarantor, insured: remove | mask | pseudonymise
  Mode providers = Mode::mask;           // clinicians in ORC/OBR/PV1...: keep | remove | mask | pseudonymise
  Mode identifiers = Mode::pseudonymise; // MRN, account, SSN, NHS, plan, licence, device, order ids
  Mode telecom = Mode::remove;           // phone, fax, email
  Mode addresses = Mode::remove;         // below state; remove keeps state / zip3 / country when kept
  Mode dates = Mode::shift;              // shift | year | remove
  Mode birth_date = Mode::year;          // year | shift | remove
  Mode free_text = Mode::mask;           // mask: scrub patterns and known values | remove | keep
  Mode unknown_segments = Mode::remove;  // Z-segments: remove | mask (scrubbed as free text)
  int shift_days = 180;                  // the per-patient offset is in [-shift_days, shift_days], never 0
  std::string mask = "REDACTED";
  bool keep_sex = true;
  bool keep_state = true;
  bool keep_zip3 = false;
  bool keep_obx_values = true;
  bool keep_codes = true;
};

// The profile's settings as plain text, from YAML or a Lua table: each value a
// string, `keep` a list, `modes` a map. `base` is the folder a relative
// key_file is read from. Throws std::runtime_error with a clear message for
// an unknown key or mode, or when no key can be had (a profile never runs
// without one).
struct ProfileSettings {
  std::map<std::string, std::string> values;  // key_env, key_file, date_shift_days, mask
  std::optional<std::vector<std::string>> keep;  // absent: sex, state, obx_values, codes
  std::map<std::string, std::string> modes;
  std::filesystem::path base;
};
Profile build_profile(const ProfileSettings& settings);
// Reads a YAML profile file (throws with "file: message" on error).
Profile load_profile_file(const std::filesystem::path& file);

}  // namespace artery::deid
