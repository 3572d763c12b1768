// Whether a patient's FHIR R4 Consent resources permit sharing one message:
// the evaluation, with no I/O (consent_lookup.hpp fetches the resources).
//
// A Consent is in force for the question when it is `active`, its `scope`
// and `category` match what the channel asks for, it was given
// (`dateTime`) no later than the message time, and the message time lies in
// its `period` (R5-style, tolerated) and its root `provision.period`. Its
// answer is the root provision's `type` (or, without one, its `policyRule`:
// OPTIN permits, OPTOUT denies), overridden by the nested provisions that
// apply, the deepest applying one last: a `deny` for research purposes
// inside a `permit` denies a research feed and permits the others.
//
// A nested provision applies when every criterion it states (period,
// dataPeriod, purpose, class, action, actor) matches the question. A
// criterion the question says nothing about (the channel gave no purpose,
// say) makes a deny provision apply and a permit provision not: with missing
// knowledge the answer errs towards not sharing.
//
// Several consents in force: any deny wins (deny overrides). None in force:
// the channel's default, with the reason naming the consents seen and why
// each was not in force (expired, not yet valid, inactive).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace artery::consent {

struct ConsentQuestion {
  std::int64_t at_ms = 0;   // the message time (Unix ms)
  std::string patient;      // "Patient/123", for reasons
  std::string scope;        // consentscope code (patient-privacy, research, treatment, adr); "" any
  std::string category;     // "system|code" or "code"; "" any
  std::string purpose;      // v3 PurposeOfUse code (TREAT, HRESCH, ...), "system|code" allowed; "" not stated
  std::string action;       // consentaction code (access, collect, use, disclose, correct); "" not stated
  std::string actor;        // reference of the recipient ("Organization/x"); "" not stated
  std::string data_class;   // resource type or profile URL of the data ("Observation"); "" not stated
};

struct ConsentDecision {
  bool permitted = false;
  bool consent_found = false;  // false: no consent was in force, the default answered
  std::string consent;         // "Consent/<id>" that decided, when one did
  std::string reason;          // one line, for the FILTERED record and Lua's second return
};

// `consents`: each a Consent resource as JSON (non-Consent or unparseable
// entries are skipped and named in the reason).
ConsentDecision decide(const std::vector<std::string>& consents, const ConsentQuestion& question, bool default_permit);

}  // namespace artery::consent
