// FHIR R4 de-identification on the JSON tree: elements are recognised by
// their names (name, telecom, address, identifier, birthDate, photo, text,
// references and ids) and every date-shaped string is shifted with the
// offset of the resource's patient.
#include "deid/dates.hpp"
#include "deid/deidentify.hpp"
#include "deid/keyed_hash.hpp"
#include "deid/text_scrubber.hpp"

#include <boost/json.hpp>

#include <map>
#include <set>
#include <stdexcept>

namespace artery::deid {
namespace {

namespace json = boost::json;

std::string str(const json::value* v) { return v && v->is_string() ? std::string(v->as_string()) : std::string(); }

// Strings that are codes, URIs of code systems or profiles, or enumerations:
// never personal, and scrubbing them would break the resource.
const std::set<std::string>& kept_keys() {
  static const std::set<std::string> keys = {
      "resourceType", "system", "code", "unit", "status", "use", "profile", "language", "version", "versionId",
      "intent", "priority", "mode", "severity", "comparator", "contentType", "type", "method", "security", "tag",
      "relation", "kind", "category", "div"};
  return keys;
}

class FhirDeidentifier {
 public:
  explicit FhirDeidentifier(const Profile& p) : p_(p), hash_(p.key) {}

  void run(json::object& root) {
    index(root);
    collect(root);
    const std::string key = patients_.empty() ? std::string() : patients_.begin()->second;
    walk_resource(root, key);
  }

 private:
  // ---- the patients: reference -> key (MR identifier value, as on the HL7 side) ----
  static std::string patient_key_of(const json::object& patient) {
    const json::value* ids = patient.if_contains("identifier");
    std::string first;
    if (ids && ids->is_array())
      for (const auto& id : ids->as_array()) {
        if (!id.is_object()) continue;
        const std::string value = str(id.as_object().if_contains("value"));
        if (value.empty()) continue;
        if (first.empty()) first = value;
        const json::value* type = id.as_object().if_contains("type");
        if (type && type->is_object()) {
          const json::value* codings = type->as_object().if_contains("coding");
          if (codings && codings->is_array())
            for (const auto& c : codings->as_array())
              if (c.is_object() && str(c.as_object().if_contains("code")) == "MR") return value;
        }
      }
    if (!first.empty()) return first;
    return "Patient/" + str(patient.if_contains("id"));
  }

  void index(const json::object& resource, const std::string& full_url = "") {
    const std::string type = str(resource.if_contains("resourceType"));
    if (type == "Patient") {
      const std::string key = patient_key_of(resource);
      patients_["Patient/" + str(resource.if_contains("id"))] = key;
      if (!full_url.empty()) patients_[full_url] = key;
    }
    if (type == "Bundle")
      if (const json::value* entries = resource.if_contains("entry"); entries && entries->is_array())
        for (const auto& e : entries->as_array())
          if (e.is_object())
            if (const json::value* r = e.as_object().if_contains("resource"); r && r->is_object())
              index(r->as_object(), str(e.as_object().if_contains("fullUrl")));
  }

  // The patient a resource is about: itself, its subject/patient reference, or
  // the bundle's first patient.
  std::string key_for(const json::object& resource, const std::string& fallback) const {
    if (str(resource.if_contains("resourceType")) == "Patient") return patient_key_of(resource);
    for (const char* field : {"subject", "patient", "beneficiary"}) {
      const json::value* ref = resource.if_contains(field);
      if (ref && ref->is_object()) {
        const std::string r = str(ref->as_object().if_contains("reference"));
        auto found = patients_.find(r);
        if (found != patients_.end()) return found->second;
        if (!r.empty()) return r;
      }
    }
    return fallback;
  }

  // ---- first pass: known values ----
  // Names word by word, the rest whole (as on the HL7 side).
  void add_words(const std::string& value, const char* tag) {
    scrubber_.add_known(value, tag);
    if (std::string_view(tag) != "[NAME]") return;
    std::size_t start = 0;
    while (start <= value.size()) {
      const std::size_t space = value.find(' ', start);
      scrubber_.add_known(value.substr(start, space == std::string::npos ? std::string::npos : space - start), tag);
      if (space == std::string::npos) break;
      start = space + 1;
    }
  }

  void collect(const json::value& v, const std::string& key = "") {
    if (v.is_array()) {
      for (const auto& item : v.as_array()) collect(item, key);
      return;
    }
    if (!v.is_object()) return;
    const json::object& o = v.as_object();
    if (key == "name" && (o.contains("family") || o.contains("given") || o.contains("text"))) {
      add_words(str(o.if_contains("family")), "[NAME]");
      add_words(str(o.if_contains("text")), "[NAME]");
      if (const json::value* given = o.if_contains("given"); given && given->is_array())
        for (const auto& g : given->as_array()) add_words(g.is_string() ? std::string(g.as_string()) : "", "[NAME]");
    } else if (key == "telecom" || key == "valueContactPoint") {
      add_words(str(o.if_contains("value")), "[PHONE]");
    } else if (key == "address" || key == "valueAddress") {
      for (const char* part : {"city", "district", "postalCode", "text"}) add_words(str(o.if_contains(part)), "[ADDRESS]");
      if (const json::value* lines = o.if_contains("line"); lines && lines->is_array())
        for (const auto& l : lines->as_array()) add_words(l.is_string() ? std::string(l.as_string()) : "", "[ADDRESS]");
    } else if (key == "identifier" || key == "valueIdentifier") {
      scrubber_.add_known(str(o.if_contains("value")), "[ID]");
    }
    for (const auto& [k, child] : o) {
      if (k == "birthDate") scrubber_.add_known(str(&child), "[DATE]");
      collect(child, std::string(k));
    }
  }

  // ---- second pass ----
  std::string pseudo_id(const std::string& id) const { return hash_.pseudonym("res", id); }

  // "Patient/123", "Patient/123/_history/2", "urn:uuid:...", "#contained",
  // "http://server/fhir/Patient/123", "Patient?identifier=system|value".
  std::string reference(const std::string& ref) const {
    if (ref.rfind("urn:uuid:", 0) == 0) return "urn:uuid:" + hash_.uuid(ref.substr(9));
    if (ref.rfind("urn:oid:", 0) == 0) return "urn:oid:2.25." + hash_.pseudonym("res", ref);
    if (!ref.empty() && ref[0] == '#') return "#" + pseudo_id(ref.substr(1));
    const std::size_t query = ref.find('?');
    if (query != std::string::npos) {
      std::string out = ref.substr(0, query + 1);
      std::string params = ref.substr(query + 1);
      std::size_t start = 0;
      bool first = true;
      while (start <= params.size()) {
        const std::size_t amp = params.find('&', start);
        std::string param = params.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        const std::size_t eq = param.find('=');
        if (eq != std::string::npos) {
          std::string value = param.substr(eq + 1);
          const std::size_t bar = value.rfind('|');
          const std::string head = bar == std::string::npos ? "" : value.substr(0, bar + 1);
          const std::string tail = bar == std::string::npos ? value : value.substr(bar + 1);
          param = param.substr(0, eq + 1) + head + hash_.pseudonym("id", tail);
        }
        out += (first ? "" : "&") + param;
        first = false;
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
      return out;
    }
    // Type/id[/_history/v], possibly after a base URL.
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
      const std::size_t slash = ref.find('/', start);
      parts.push_back(ref.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    for (std::size_t i = 0; i + 1 < parts.size(); ++i)
      if (!parts[i].empty() && std::isupper(static_cast<unsigned char>(parts[i][0])) && parts[i] != "_history" &&
          parts[i].find(':') == std::string::npos && parts[i].find('.') == std::string::npos) {
        parts[i + 1] = pseudo_id(parts[i + 1]);
        std::string out;
        for (std::size_t k = 0; k < parts.size(); ++k) out += (k ? "/" : "") + parts[k];
        return out;
      }
    if (parts.size() == 1) return pseudo_id(ref);
    return scrubber_.scrub_structured(ref);
  }

  bool person_reference(const json::object& ref) const {
    const std::string r = str(ref.if_contains("reference"));
    for (const char* t : {"Patient", "RelatedPerson", "Person"})
      if (r.find(t) != std::string::npos) return true;
    return false;
  }
  bool provider_reference(const json::object& ref) const {
    const std::string r = str(ref.if_contains("reference"));
    return r.find("Practitioner") != std::string::npos || r.find("Organization") != std::string::npos;
  }

  std::string masked(Mode mode, const std::string& domain, const std::string& value, const char* prefix) const {
    if (mode == Mode::mask) return p_.mask;
    return prefix + hash_.pseudonym(domain, value);
  }

  // A string under `key`: a date, a code, or text.
  void string_value(json::value& v, const std::string& key, int offset) {
    const std::string s(v.as_string());
    if (key == "birthDate") {
      v = birth_date(s, offset);
      return;
    }
    if (key == "id") {
      v = pseudo_id(s);
      return;
    }
    if (key == "reference" || key == "fullUrl" || key == "location") {
      v = reference(s);
      return;
    }
    if (key == "url" && (s.find('/') != std::string::npos || s.find('?') != std::string::npos) &&
        s.find("http") != 0 && s.find("urn:") != 0) {  // Bundle.entry.request.url
      v = reference(s);
      return;
    }
    if (auto date = transform_fhir_date(s, p_.dates, offset)) {
      v = *date;
      return;
    }
    if (key == "gender") {
      if (!p_.keep_sex) v = "";
      return;
    }
    if (kept_keys().count(key) || key == "url") return;
    if (key == "display" && p_.keep_codes) {
      v = scrubber_.scrub_structured(s);
      return;
    }
    v = p_.free_text == Mode::remove ? std::string() : scrubber_.scrub_free_text(s);
  }

  std::string birth_date(const std::string& s, int offset) const {
    if (p_.birth_date == Mode::remove || s.size() < 4) return "";
    const int now = current_year();
    if (p_.birth_date == Mode::shift)
      if (auto shifted = transform_fhir_date(s, Mode::shift, offset); shifted && shifted->size() >= 10) {
        const int y = std::stoi(shifted->substr(0, 4));
        return clamp_birth_year(y, now) == y ? *shifted : std::to_string(clamp_birth_year(y, now));
      }
    int year = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s[static_cast<std::size_t>(i)];
      if (c < '0' || c > '9') return "";
      year = year * 10 + (c - '0');
    }
    return std::to_string(clamp_birth_year(year, now));
  }

  // Returns false when the element is to be dropped from its parent.
  bool element(json::value& v, const std::string& key, int offset) {
    if (key == "photo" || key == "_birthDate") return false;  // _birthDate carries the birth time
    if (v.is_string()) {
      string_value(v, key, offset);
      return !(v.is_string() && v.as_string().empty());
    }
    if (v.is_array()) {
      json::array& a = v.as_array();
      json::array kept;
      for (auto& item : a)
        if (element(item, key, offset)) kept.push_back(std::move(item));
      if (kept.empty()) return false;
      a = std::move(kept);
      if ((key == "name" || key == "telecom") && p_.names != Mode::remove) dedupe(a);
      return true;
    }
    if (!v.is_object()) return true;
    json::object& o = v.as_object();
    if (o.contains("resourceType")) {
      walk_resource(o, key_for(o, current_key_));
      return true;
    }
    if ((key == "name" || key == "valueHumanName") && (o.contains("family") || o.contains("given") || o.contains("text"))) {
      if (p_.names == Mode::remove) return false;
      const std::string basis = str(o.if_contains("family")) + " " + str(o.if_contains("text"));
      const std::string use = str(o.if_contains("use"));
      o.clear();
      if (!use.empty()) o["use"] = use;
      o["text"] = masked(p_.names, "name", basis, "P");
      return true;
    }
    if (key == "telecom" || key == "valueContactPoint") {
      if (p_.telecom == Mode::remove) return false;
      if (o.contains("value")) o["value"] = masked(p_.telecom, "telecom", str(o.if_contains("value")), "T");
      o.erase("period");
      return true;
    }
    if (key == "address" || key == "valueAddress") {
      if (p_.addresses == Mode::mask) {
        o.clear();
        o["text"] = p_.mask;
        return true;
      }
      json::object out;
      // As on the HL7 side: a state or country with a digit, or that the
      // record gives as a street, city or postcode, is misplaced and goes.
      auto plain_code = [this](const json::value* v) {
        const std::string s = str(v);
        return !s.empty() && s.find_first_of("0123456789") == std::string::npos && !scrubber_.is_known(s);
      };
      for (const char* part : {"use", "type"})
        if (o.contains(part)) out[part] = o[part];
      if (plain_code(o.if_contains("country"))) out["country"] = o["country"];
      if (p_.keep_state && plain_code(o.if_contains("state"))) out["state"] = o["state"];
      if (p_.keep_zip3 && o.contains("postalCode")) {
        const std::string zip = str(o.if_contains("postalCode"));
        bool digits = zip.size() >= 5;
        for (std::size_t i = 0; i < 5 && i < zip.size(); ++i) digits = digits && std::isdigit(static_cast<unsigned char>(zip[i]));
        if (digits) out["postalCode"] = zip.substr(0, 3);
      }
      o = std::move(out);
      return !o.empty();
    }
    if (key == "identifier" || key == "valueIdentifier") {
      if (p_.identifiers == Mode::remove) return false;
      if (o.contains("value")) o["value"] = p_.identifiers == Mode::mask ? p_.mask : hash_.pseudonym("id", str(o.if_contains("value")));
      o.erase("period");
      o.erase("assigner");
      return true;  // system, type and use are codes; the value is done
    }
    if (key == "text" && o.contains("div")) return false;  // the narrative repeats everything in prose
    if (o.contains("data") && (o.contains("contentType") || o.contains("url"))) return false;  // an attachment
    // A Reference's display naming a person or clinician.
    if (o.contains("reference") && o.contains("display")) {
      if (person_reference(o)) o["display"] = masked(p_.names == Mode::remove ? Mode::mask : p_.names, "name", str(o.if_contains("display")), "P");
      else if (provider_reference(o) && p_.providers != Mode::keep)
        o["display"] = masked(p_.providers == Mode::remove ? Mode::mask : p_.providers, "provider", str(o.if_contains("display")), "D");
    }
    std::vector<std::string> drop;
    for (auto& [k, child] : o) {
      const std::string name(k);
      if (name == "display" && o.contains("reference")) continue;  // handled above
      if (!element(child, name, offset)) drop.push_back(name);
    }
    for (const auto& k : drop) o.erase(k);
    return !o.empty();
  }

  static void dedupe(json::array& a) {
    json::array out;
    for (auto& item : a) {
      bool seen = false;
      for (const auto& o : out) seen = seen || o == item;
      if (!seen) out.push_back(item);
    }
    a = std::move(out);
  }

  void walk_resource(json::object& resource, const std::string& patient) {
    const std::string saved = current_key_;
    current_key_ = patient;
    const int offset = hash_.date_offset(patient, p_.shift_days);
    std::vector<std::string> drop;
    for (auto& [k, child] : resource) {
      const std::string name(k);
      if (name == "resourceType") continue;
      if (name == "entry" && child.is_array()) {
        for (auto& e : child.as_array()) {
          if (!e.is_object()) continue;
          json::object& entry = e.as_object();
          std::string key = patient;
          if (json::value* r = entry.if_contains("resource"); r && r->is_object()) key = key_for(r->as_object(), patient);
          current_key_ = key;
          const int entry_offset = hash_.date_offset(key, p_.shift_days);
          std::vector<std::string> entry_drop;
          for (auto& [ek, ev] : entry) {
            const std::string en(ek);
            if (en == "resource" && ev.is_object()) walk_resource(ev.as_object(), key);
            else if (!element(ev, en, entry_offset)) entry_drop.push_back(en);
          }
          for (const auto& d : entry_drop) entry.erase(d);
          current_key_ = patient;
        }
        continue;
      }
      if (!element(child, name, offset)) drop.push_back(name);
    }
    for (const auto& d : drop) resource.erase(d);
    current_key_ = saved;
  }

  const Profile& p_;
  KeyedHash hash_;
  TextScrubber scrubber_;
  std::map<std::string, std::string> patients_;
  std::string current_key_;
};

}  // namespace

std::string deidentify_fhir(std::string_view text, const Profile& profile) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) throw std::invalid_argument("FHIR JSON parse error: " + ec.message());
  if (!root.is_object() || !root.as_object().if_contains("resourceType") ||
      !root.as_object().at("resourceType").is_string())
    throw std::invalid_argument("not a FHIR resource: a JSON object with a resourceType is needed");
  FhirDeidentifier deidentifier(profile);
  deidentifier.run(root.as_object());
  return json::serialize(root);
}

}  // namespace artery::deid
