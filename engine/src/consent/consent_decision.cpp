#include "consent/consent_decision.hpp"

#include "consent/consent_time.hpp"

#include <boost/json.hpp>

#include <optional>

namespace artery::consent {
namespace json = boost::json;
namespace {

const json::value* field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string text(const json::value* v) { return v && v->is_string() ? std::string(v->get_string()) : ""; }

// Calls f on every Coding in a Coding, CodeableConcept, or a list of either.
template <class F>
void each_coding(const json::value* v, F&& f) {
  if (!v) return;
  if (v->is_array()) {
    for (const auto& item : v->get_array()) each_coding(&item, f);
    return;
  }
  if (!v->is_object()) return;
  const auto& o = v->get_object();
  if (const auto* codings = field(o, "coding")) {
    each_coding(codings, f);
    return;
  }
  if (o.contains("code")) f(text(field(o, "system")), text(field(o, "code")));
}

// `wanted` is "system|code" or a bare code (any system).
bool has_code(const json::value* v, std::string_view wanted) {
  std::string_view system, code = wanted;
  if (auto bar = wanted.find('|'); bar != std::string_view::npos) {
    system = wanted.substr(0, bar);
    code = wanted.substr(bar + 1);
  }
  bool found = false;
  each_coding(v, [&](const std::string& s, const std::string& c) {
    if (c == code && (system.empty() || s == system)) found = true;
  });
  return found;
}

std::string first_code(const json::value* v) {
  std::string out;
  each_coding(v, [&](const std::string&, const std::string& c) {
    if (out.empty()) out = c;
  });
  return out;
}

bool stated(const json::value* v) {
  if (!v || v->is_null()) return false;
  if (v->is_array()) return !v->get_array().empty();
  return true;
}

std::string when(std::int64_t ms) {
  char buffer[32];
  return std::string(format_utc(ms, buffer));
}

// Whether `at` lies in a Period; `why` says how it does not.
bool period_covers(const json::value* v, std::int64_t at, std::string& why) {
  if (!v || !v->is_object()) return true;
  const auto& p = v->get_object();
  std::string start = text(field(p, "start")), end = text(field(p, "end"));
  if (!start.empty()) {
    auto span = parse_fhir_time(start);
    if (!span) {
      why = "period.start '" + start + "' is not a FHIR dateTime";
      return false;
    }
    if (at < span->low) {
      why = "not valid until " + start;
      return false;
    }
  }
  if (!end.empty()) {
    auto span = parse_fhir_time(end);
    if (!span) {
      why = "period.end '" + end + "' is not a FHIR dateTime";
      return false;
    }
    if (at >= span->high) {
      why = "expired " + end;
      return false;
    }
  }
  return true;
}

bool actor_matches(const json::value* actors, std::string_view wanted) {
  bool found = false;
  auto check = [&](const json::value& a) {
    if (!a.is_object()) return;
    const auto* ref = field(a.get_object(), "reference");
    std::string reference = ref && ref->is_object() ? text(field(ref->get_object(), "reference")) : "";
    // An absolute reference ("https://ehr/fhir/Organization/x") names the same actor.
    if (reference == wanted ||
        (reference.size() > wanted.size() && reference.compare(reference.size() - wanted.size(), wanted.size(), wanted) == 0 &&
         reference[reference.size() - wanted.size() - 1] == '/'))
      found = true;
  };
  if (actors && actors->is_array())
    for (const auto& a : actors->get_array()) check(a);
  return found;
}

enum class Rule { permit, deny };
std::string_view name(Rule r) { return r == Rule::permit ? "permit" : "deny"; }

// Whether a provision's criteria hold for the question. `because` names the
// first criterion that decided it, for the reason.
bool applies(const json::object& provision, Rule rule, const ConsentQuestion& q, std::string& because) {
  std::string why;
  if (!period_covers(field(provision, "period"), q.at_ms, why)) return false;
  if (!period_covers(field(provision, "dataPeriod"), q.at_ms, why)) return false;
  // A criterion the question cannot answer: a deny applies, a permit does not.
  auto criterion = [&](const char* key, const std::string& asked, auto&& matches) {
    const json::value* v = field(provision, key);
    if (!stated(v)) return true;
    if (asked.empty()) {
      if (because.empty()) because = std::string(key) + " (not stated by the channel)";
      return rule == Rule::deny;
    }
    if (!matches(v, asked)) return false;
    if (because.empty()) because = std::string(key) + " " + asked;
    return true;
  };
  return criterion("purpose", q.purpose, has_code) && criterion("class", q.data_class, has_code) &&
         criterion("action", q.action, has_code) && criterion("actor", q.actor, actor_matches);
}

std::optional<Rule> rule_of(const json::object& provision) {
  std::string type = text(field(provision, "type"));
  if (type == "permit") return Rule::permit;
  if (type == "deny") return Rule::deny;
  return std::nullopt;
}

// The rule a provision gives once its applying nested provisions have had
// their say: none applies, its own; else any applying deny among them wins,
// else the (first) applying permit. `trail` names the provisions that decided.
Rule evaluate(const json::object& provision, Rule own, const ConsentQuestion& q, std::string& trail) {
  const json::value* nested = field(provision, "provision");
  if (!nested || !nested->is_array()) return own;
  std::optional<Rule> decided;
  std::size_t index = 0;
  for (const auto& item : nested->get_array()) {
    ++index;
    if (!item.is_object()) continue;
    const auto& child = item.get_object();
    // A nested provision without a type is an exception to its parent.
    Rule child_rule = rule_of(child).value_or(own == Rule::permit ? Rule::deny : Rule::permit);
    std::string because;
    if (!applies(child, child_rule, q, because)) continue;
    std::string child_trail;
    Rule result = evaluate(child, child_rule, q, child_trail);
    if (decided && !(result == Rule::deny && *decided == Rule::permit)) continue;
    decided = result;
    trail = "nested provision " + std::to_string(index) + " (" + std::string(name(child_rule)) +
            (because.empty() ? "" : ", " + because) + ")" + (child_trail.empty() ? "" : " > " + child_trail);
  }
  return decided.value_or(own);
}

}  // namespace

ConsentDecision decide(const std::vector<std::string>& consents, const ConsentQuestion& q, bool default_permit) {
  ConsentDecision out;
  std::vector<std::string> not_in_force;
  std::string permitted_by;
  for (const auto& text_json : consents) {
    boost::system::error_code ec;
    json::value parsed = json::parse(text_json, ec);
    if (ec || !parsed.is_object()) {
      not_in_force.push_back("a Consent that is not JSON");
      continue;
    }
    const auto& c = parsed.get_object();
    if (text(field(c, "resourceType")) != "Consent") continue;
    const std::string id = "Consent/" + text(field(c, "id"));
    const std::string status = text(field(c, "status"));
    if (status != "active") {
      not_in_force.push_back(id + " is " + (status.empty() ? "without status" : status));
      continue;
    }
    if (!q.scope.empty() && !has_code(field(c, "scope"), q.scope)) {
      std::string scope = first_code(field(c, "scope"));
      not_in_force.push_back(id + " has scope " + (scope.empty() ? "(none)" : scope) + ", not " + q.scope);
      continue;
    }
    if (!q.category.empty() && !has_code(field(c, "category"), q.category)) {
      not_in_force.push_back(id + " is not of category " + q.category);
      continue;
    }
    std::string given = text(field(c, "dateTime"));
    if (!given.empty()) {
      auto span = parse_fhir_time(given);
      if (span && span->low > q.at_ms) {
        not_in_force.push_back(id + " was given after the message time (" + given + ")");
        continue;
      }
    }
    std::string why;
    if (!period_covers(field(c, "period"), q.at_ms, why)) {
      not_in_force.push_back(id + " " + why);
      continue;
    }
    const json::value* root_value = field(c, "provision");
    const json::object empty;
    const json::object& root = root_value && root_value->is_object() ? root_value->get_object() : empty;
    if (!period_covers(field(root, "period"), q.at_ms, why)) {
      not_in_force.push_back(id + " " + why);
      continue;
    }
    // The base rule: provision.type, else the policy rule's opt-in/opt-out,
    // else deny (a consent that does not say it permits does not permit).
    std::optional<Rule> base = rule_of(root);
    if (!base) {
      if (has_code(field(c, "policyRule"), "OPTIN") || has_code(field(c, "policyRule"), "OPTINR")) base = Rule::permit;
      else base = Rule::deny;
    }
    std::string because;
    if (!applies(root, *base, q, because)) {
      not_in_force.push_back(id + " does not cover this message");
      continue;
    }
    std::string trail;
    Rule result = evaluate(root, *base, q, trail);
    out.consent_found = true;
    if (result == Rule::deny) {
      out.permitted = false;
      out.consent = id;
      out.reason = id + " denies" + (trail.empty() ? "" : ": " + trail) + (q.patient.empty() ? "" : " for " + q.patient) +
                   " at " + when(q.at_ms);
      return out;  // deny overrides
    }
    if (permitted_by.empty()) {
      permitted_by = id;
      out.reason = id + " permits" + (trail.empty() ? "" : ": " + trail);
    }
  }
  if (out.consent_found) {
    out.permitted = true;
    out.consent = permitted_by;
    return out;
  }
  out.permitted = default_permit;
  out.reason = "no consent in force for " + (q.patient.empty() ? std::string("the patient") : q.patient) + " at " +
               when(q.at_ms);
  if (!not_in_force.empty()) {
    out.reason += " (";
    for (std::size_t i = 0; i < not_in_force.size(); ++i) out.reason += (i ? "; " : "") + not_in_force[i];
    out.reason += ")";
  }
  out.reason += default_permit ? ": default permit" : ": default deny";
  return out;
}

}  // namespace artery::consent
