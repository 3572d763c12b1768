#include "deid/profile.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace artery::deid {

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::keep: return "keep";
    case Mode::remove: return "remove";
    case Mode::mask: return "mask";
    case Mode::pseudonymise: return "pseudonymise";
    case Mode::shift: return "shift";
    case Mode::year: return "year";
  }
  return "?";
}

namespace {

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error("deid profile: " + message); }

Mode parse_mode(const std::string& cls, const std::string& text, std::initializer_list<Mode> allowed) {
  std::string list;
  for (Mode m : allowed) {
    if (text == mode_name(m) || (m == Mode::pseudonymise && text == "pseudonymize")) return m;
    list += (list.empty() ? "" : " | ") + std::string(mode_name(m));
  }
  fail("mode '" + text + "' for " + cls + " is not one of " + list);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

// The key is read when the profile is built, so a missing one stops the
// script at its first use instead of writing anything under no key.
std::string read_key(const ProfileSettings& s) {
  auto env = s.values.find("key_env");
  auto file = s.values.find("key_file");
  if (env != s.values.end() && file != s.values.end()) fail("give key_env or key_file, not both");
  std::string key;
  if (env != s.values.end()) {
    // Only variables meant for this: a script must not turn the engine's
    // storage key or admin password into its HMAC key (or probe for them).
    if (env->second.rfind("ARTERY_DEID", 0) != 0)
      fail("key_env must name a variable starting with ARTERY_DEID (got " + env->second + ")");
    const char* value = std::getenv(env->second.c_str());
    if (!value || !*value) fail("key_env " + env->second + " is not set: refusing to de-identify without a key");
    key = value;
  } else if (file != s.values.end()) {
    std::filesystem::path path = file->second;
    if (path.is_relative() && !s.base.empty()) path = s.base / path;
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read key_file " + path.string() + ": refusing to de-identify without a key");
    std::ostringstream text;
    text << in.rdbuf();
    key = trim(text.str());
  } else {
    fail("no key: set key_env (an environment variable) or key_file; pseudonyms need a secret key");
  }
  if (key.size() < 16) fail("the key must be at least 16 bytes");
  return key;
}

}  // namespace

Profile build_profile(const ProfileSettings& s) {
  Profile p;
  for (const auto& [name, value] : s.values) {
    if (name == "key_env" || name == "key_file") continue;
    if (name == "date_shift_days") {
      char* end = nullptr;
      const long days = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || days < 1 || days > 3650) fail("date_shift_days must be a whole number 1..3650");
      p.shift_days = static_cast<int>(days);
    } else if (name == "mask") {
      for (char c : value)
        if (c == '|' || c == '^' || c == '~' || c == '\\' || c == '&' || c == '\r' || c == '\n')
          fail("mask must not contain HL7 delimiters");
      p.mask = value;
    } else {
      fail("unknown key '" + name + "' (known: key_env, key_file, date_shift_days, mask, keep, modes)");
    }
  }
  p.keep_sex = p.keep_state = p.keep_zip3 = p.keep_obx_values = p.keep_codes = false;
  const std::vector<std::string> keep =
      s.keep ? *s.keep : std::vector<std::string>{"sex", "state", "obx_values", "codes"};
  for (const auto& item : keep) {
    if (item == "sex") p.keep_sex = true;
    else if (item == "state") p.keep_state = true;
    else if (item == "zip3") p.keep_zip3 = true;
    else if (item == "obx_values") p.keep_obx_values = true;
    else if (item == "codes") p.keep_codes = true;
    else if (item == "year_of_birth") p.birth_date = Mode::year;
    else fail("unknown keep item '" + item + "' (known: sex, state, zip3, obx_values, codes, year_of_birth)");
  }
  using M = Mode;
  for (const auto& [cls, text] : s.modes) {
    if (cls == "names") p.names = parse_mode(cls, text, {M::remove, M::mask, M::pseudonymise});
    else if (cls == "providers") p.providers = parse_mode(cls, text, {M::keep, M::remove, M::mask, M::pseudonymise});
    else if (cls == "identifiers") p.identifiers = parse_mode(cls, text, {M::remove, M::mask, M::pseudonymise});
    else if (cls == "telecom") p.telecom = parse_mode(cls, text, {M::remove, M::mask, M::pseudonymise});
    else if (cls == "addresses") p.addresses = parse_mode(cls, text, {M::remove, M::mask});
    else if (cls == "dates") p.dates = parse_mode(cls, text, {M::shift, M::year, M::remove});
    else if (cls == "birth_date") p.birth_date = parse_mode(cls, text, {M::year, M::shift, M::remove});
    else if (cls == "free_text") p.free_text = parse_mode(cls, text, {M::mask, M::remove});
    else if (cls == "unknown_segments") p.unknown_segments = parse_mode(cls, text, {M::remove, M::mask});
    else
      fail("unknown identifier class '" + cls +
           "' (known: names, providers, identifiers, telecom, addresses, dates, birth_date, free_text, "
           "unknown_segments)");
  }
  p.key = read_key(s);
  return p;
}

Profile load_profile_file(const std::filesystem::path& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const std::exception& e) {
    throw std::runtime_error("deid profile " + file.string() + ": " + e.what());
  }
  if (!root.IsMap()) throw std::runtime_error("deid profile " + file.string() + ": not a YAML map");
  ProfileSettings s;
  s.base = file.parent_path();
  try {
    for (const auto& entry : root) {
      const std::string name = entry.first.as<std::string>();
      if (name == "keep") {
        if (!entry.second.IsSequence()) fail("keep must be a list");
        s.keep.emplace();
        for (const auto& item : entry.second) s.keep->push_back(item.as<std::string>());
      } else if (name == "modes") {
        if (!entry.second.IsMap()) fail("modes must be a map of class: mode");
        for (const auto& m : entry.second) s.modes[m.first.as<std::string>()] = m.second.as<std::string>();
      } else {
        if (!entry.second.IsScalar()) fail(name + " must be a single value");
        s.values[name] = entry.second.as<std::string>();
      }
    }
    return build_profile(s);
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
}

}  // namespace artery::deid
