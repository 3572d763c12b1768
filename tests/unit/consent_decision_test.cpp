// FHIR R4 Consent evaluation (engine/src/consent/consent_decision.cpp) on
// Consent resources shaped like the R4 specification's examples
// (consent-example-basic, -notOrg, -Out, -notThis): status, scope,
// category, dateTime, provision.period, permit/deny with nested provisions
// by purpose, class, actor and dataPeriod, policyRule opt-in/opt-out, and
// the channel's default when nothing is in force.
#include "consent/consent_decision.hpp"
#include "consent/consent_time.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace artery::consent;

namespace {

std::int64_t at(const char* fhir_time) { return parse_fhir_time(fhir_time).value().low; }

// consent-example-basic: Adam Everyman permits sharing for a period.
const std::string kBasic = R"({
  "resourceType": "Consent", "id": "consent-example-basic",
  "status": "active",
  "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
  "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
  "patient": {"reference": "Patient/f001", "display": "P. van de Heuvel"},
  "dateTime": "2018-12-28",
  "organization": [{"reference": "Organization/f001"}],
  "sourceAttachment": {"title": "The terms of the consent in lawyer speak."},
  "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
  "provision": {"period": {"start": "1964-01-01", "end": "2026-01-01"}}
})";

// A permit with a nested deny for research (HRESCH) and one for a named organisation.
const std::string kPermitExceptResearch = R"({
  "resourceType": "Consent", "id": "c-permit",
  "status": "active",
  "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
  "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
  "patient": {"reference": "Patient/p1"},
  "dateTime": "2026-01-12T10:15:00Z",
  "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
  "provision": {
    "type": "permit",
    "period": {"start": "2026-01-12", "end": "2030-12-31"},
    "provision": [
      {"type": "deny",
       "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HRESCH"}]},
      {"type": "deny",
       "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "PRCP"}]},
                  "reference": {"reference": "Organization/f203"}}]}
    ]
  }
})";

// consent-example-Out style: opts out of everything; a nested permit for one class of data.
const std::string kOptOutExceptLabs = R"({
  "resourceType": "Consent", "id": "c-out",
  "status": "active",
  "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
  "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
  "patient": {"reference": "Patient/p2"},
  "dateTime": "2026-03-04",
  "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]},
  "provision": {
    "type": "deny",
    "provision": [
      {"type": "permit",
       "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Observation"}],
       "dataPeriod": {"start": "2026-01-01", "end": "2026-06-30"}}
    ]
  }
})";

ConsentQuestion question(const char* when) {
  ConsentQuestion q;
  q.at_ms = at(when);
  q.patient = "Patient/p1";
  q.scope = "patient-privacy";
  q.category = "http://loinc.org|59284-0";
  return q;
}

}  // namespace

TEST_CASE("consent time: FHIR partial dates are the whole day, month or year") {
  auto day = parse_fhir_time("2026-12-31").value();
  CHECK(day.high - day.low == 86'400'000);
  CHECK(parse_fhir_time("2026-12-31T23:59:59Z").value().low < day.high);
  auto month = parse_fhir_time("2026-02").value();
  CHECK(month.high - month.low == 28LL * 86'400'000);
  auto year = parse_fhir_time("2024").value();
  CHECK(year.high - year.low == 366LL * 86'400'000);
  CHECK(parse_fhir_time("2026-03-01T10:30:00+01:00").value().low == parse_fhir_time("2026-03-01T09:30:00Z").value().low);
  CHECK(parse_fhir_time("2026-03-01T09:30:00.250Z").value().low == parse_fhir_time("2026-03-01T09:30:00Z").value().low + 250);
  CHECK_FALSE(parse_fhir_time("2026-13-01"));
  CHECK_FALSE(parse_fhir_time("2026-02-30"));
  CHECK_FALSE(parse_fhir_time("yesterday"));
}

TEST_CASE("consent time: HL7 TS with and without a zone") {
  CHECK(parse_hl7_time("20260301093000").value().low == parse_fhir_time("2026-03-01T09:30:00Z").value().low);
  CHECK(parse_hl7_time("202603011030+0100").value().low == parse_fhir_time("2026-03-01T09:30:00Z").value().low);
  CHECK(parse_hl7_time("20260301").value().high - parse_hl7_time("20260301").value().low == 86'400'000);
  CHECK(parse_any_time("20260301").value().low == parse_any_time("2026-03-01").value().low);
  CHECK_FALSE(parse_hl7_time("2026030"));
}

TEST_CASE("consent: a permit in force permits, with the consent named") {
  auto q = question("2026-06-01T12:00:00Z");
  q.purpose = "TREAT";  // neither nested deny (research, one organisation) applies
  q.actor = "Organization/ward-7";
  auto d = decide({kPermitExceptResearch}, q, false);
  CHECK(d.permitted);
  CHECK(d.consent_found);
  CHECK(d.consent == "Consent/c-permit");
  CHECK(d.reason.find("Consent/c-permit permits") == 0);
}

TEST_CASE("consent: a nested deny for research applies to a research purpose only") {
  auto q = question("2026-06-01T12:00:00Z");
  q.purpose = "http://terminology.hl7.org/CodeSystem/v3-ActReason|HRESCH";
  auto research = decide({kPermitExceptResearch}, q, true);
  CHECK_FALSE(research.permitted);
  CHECK(research.reason.find("nested provision 1 (deny, purpose") != std::string::npos);
  q.purpose = "TREAT";
  q.actor = "Organization/ward-7";
  CHECK(decide({kPermitExceptResearch}, q, false).permitted);
}

TEST_CASE("consent: a nested deny for an actor, given as a reference or an absolute URL") {
  auto q = question("2026-06-01T12:00:00Z");
  q.purpose = "TREAT";
  q.actor = "Organization/f203";
  auto d = decide({kPermitExceptResearch}, q, true);
  CHECK_FALSE(d.permitted);
  CHECK(d.reason.find("actor Organization/f203") != std::string::npos);
}

TEST_CASE("consent: a deny provision the channel cannot rule out applies (fails closed)") {
  // No purpose stated: the research deny cannot be ruled out.
  auto q = question("2026-06-01T12:00:00Z");
  q.actor = "Organization/ward-7";
  auto d = decide({kPermitExceptResearch}, q, true);
  CHECK_FALSE(d.permitted);
  CHECK(d.reason.find("purpose (not stated by the channel)") != std::string::npos);
}

TEST_CASE("consent: an expired provision.period is not in force, the default answers") {
  auto q = question("2031-02-01T00:00:00Z");
  auto d = decide({kPermitExceptResearch}, q, false);
  CHECK_FALSE(d.permitted);
  CHECK_FALSE(d.consent_found);
  CHECK(d.reason.find("Consent/c-permit expired 2030-12-31") != std::string::npos);
  CHECK(d.reason.find("default deny") != std::string::npos);
  // The last day of the period is still inside it.
  q.at_ms = at("2030-12-31T22:00:00Z");
  q.purpose = "TREAT";
  q.actor = "Organization/x";
  CHECK(decide({kPermitExceptResearch}, q, false).permitted);
}

TEST_CASE("consent: before dateTime or period.start is not in force") {
  auto d = decide({kPermitExceptResearch}, question("2026-01-11T23:00:00Z"), true);
  CHECK(d.permitted);  // the default (permit) answered
  CHECK_FALSE(d.consent_found);
  CHECK(d.reason.find("given after the message time") != std::string::npos);
}

TEST_CASE("consent: status other than active is ignored") {
  std::string inactive = kPermitExceptResearch;
  inactive.replace(inactive.find("\"active\""), 8, "\"inactive\"");
  auto d = decide({inactive}, question("2026-06-01T12:00:00Z"), false);
  CHECK_FALSE(d.permitted);
  CHECK(d.reason.find("Consent/c-permit is inactive") != std::string::npos);
}

TEST_CASE("consent: scope and category must match what the channel asks") {
  auto q = question("2026-06-01T12:00:00Z");
  q.scope = "research";
  auto d = decide({kPermitExceptResearch}, q, false);
  CHECK_FALSE(d.consent_found);
  CHECK(d.reason.find("has scope patient-privacy, not research") != std::string::npos);
  q = question("2026-06-01T12:00:00Z");
  q.category = "http://loinc.org|64292-6";
  CHECK(decide({kPermitExceptResearch}, q, false).reason.find("not of category") != std::string::npos);
  q.category = "59284-0";  // a bare code matches any system
  q.purpose = "TREAT";
  q.actor = "Organization/x";
  CHECK(decide({kPermitExceptResearch}, q, false).permitted);
}

TEST_CASE("consent: an opt-out with a nested permit for a class of data within a data period") {
  auto q = question("2026-05-01T08:00:00Z");
  q.patient = "Patient/p2";
  q.data_class = "Observation";
  auto labs = decide({kOptOutExceptLabs}, q, true);
  CHECK(labs.permitted);
  CHECK(labs.reason.find("nested provision 1 (permit, class Observation)") != std::string::npos);
  q.data_class = "MedicationRequest";
  CHECK_FALSE(decide({kOptOutExceptLabs}, q, true).permitted);
  q.data_class = "Observation";
  q.at_ms = at("2026-08-01");  // outside the dataPeriod
  CHECK_FALSE(decide({kOptOutExceptLabs}, q, true).permitted);
  q.data_class = "";  // not stated: a permit does not apply
  q.at_ms = at("2026-05-01");
  CHECK_FALSE(decide({kOptOutExceptLabs}, q, true).permitted);
}

TEST_CASE("consent: policyRule decides when the root provision has no type") {
  auto q = question("2020-06-01");
  q.patient = "Patient/f001";
  auto d = decide({kBasic}, q, false);
  CHECK(d.permitted);  // OPTIN
  q.at_ms = at("2026-01-02");
  CHECK_FALSE(decide({kBasic}, q, false).permitted);  // past its period: default deny
}

TEST_CASE("consent: several in force, a deny overrides a permit") {
  std::string deny = R"({"resourceType":"Consent","id":"c-deny","status":"active",
    "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
    "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
    "patient":{"reference":"Patient/p1"},"provision":{"type":"deny","period":{"start":"2026-05-01"}}})";
  auto q = question("2026-06-01T12:00:00Z");
  q.purpose = "TREAT";
  q.actor = "Organization/x";
  auto d = decide({kPermitExceptResearch, deny}, q, true);
  CHECK_FALSE(d.permitted);
  CHECK(d.consent == "Consent/c-deny");
  q.at_ms = at("2026-04-01");  // before the deny's period: the permit answers
  CHECK(decide({kPermitExceptResearch, deny}, q, false).permitted);
}

TEST_CASE("consent: no consent at all is the channel's default, said so") {
  auto d = decide({}, question("2026-06-01T12:00:00Z"), false);
  CHECK_FALSE(d.permitted);
  CHECK(d.reason == "no consent in force for Patient/p1 at 2026-06-01T12:00:00Z: default deny");
  CHECK(decide({}, question("2026-06-01T12:00:00Z"), true).permitted);
  CHECK_FALSE(decide({"not json"}, question("2026-06-01T12:00:00Z"), false).permitted);
}
