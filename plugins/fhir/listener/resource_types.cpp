#include "listener/resource_types.hpp"

#include <algorithm>

namespace artery::fhir {

const std::vector<std::string>& r4_resource_types() {
  static const std::vector<std::string> types = {
    "Account", "ActivityDefinition", "AdverseEvent", "AllergyIntolerance", "Appointment", "AppointmentResponse",
    "AuditEvent", "Basic", "Binary", "BiologicallyDerivedProduct", "BodyStructure", "Bundle", "CapabilityStatement",
    "CarePlan", "CareTeam", "CatalogEntry", "ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse",
    "ClinicalImpression", "CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition",
    "Composition", "ConceptMap", "Condition", "Consent", "Contract", "Coverage", "CoverageEligibilityRequest",
    "CoverageEligibilityResponse", "DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric", "DeviceRequest",
    "DeviceUseStatement", "DiagnosticReport", "DocumentManifest", "DocumentReference", "EffectEvidenceSynthesis",
    "Encounter", "Endpoint", "EnrollmentRequest", "EnrollmentResponse", "EpisodeOfCare", "EventDefinition",
    "Evidence", "EvidenceVariable", "ExampleScenario", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag", "Goal",
    "GraphDefinition", "Group", "GuidanceResponse", "HealthcareService", "ImagingStudy", "Immunization",
    "ImmunizationEvaluation", "ImmunizationRecommendation", "ImplementationGuide", "InsurancePlan", "Invoice",
    "Library", "Linkage", "List", "Location", "Measure", "MeasureReport", "Media", "Medication",
    "MedicationAdministration", "MedicationDispense", "MedicationKnowledge", "MedicationRequest",
    "MedicationStatement", "MedicinalProduct", "MedicinalProductAuthorization", "MedicinalProductContraindication",
    "MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
    "MedicinalProductManufactured", "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect", "MessageDefinition", "MessageHeader", "MolecularSequence", "NamingSystem",
    "NutritionOrder", "Observation", "ObservationDefinition", "OperationDefinition", "OperationOutcome",
    "Organization", "OrganizationAffiliation", "Parameters", "Patient", "PaymentNotice", "PaymentReconciliation",
    "Person", "PlanDefinition", "Practitioner", "PractitionerRole", "Procedure", "Provenance", "Questionnaire",
    "QuestionnaireResponse", "RelatedPerson", "RequestGroup", "ResearchDefinition", "ResearchElementDefinition",
    "ResearchStudy", "ResearchSubject", "RiskAssessment", "RiskEvidenceSynthesis", "Schedule", "SearchParameter",
    "ServiceRequest", "Slot", "Specimen", "SpecimenDefinition", "StructureDefinition", "StructureMap",
    "Subscription", "Substance", "SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein",
    "SubstanceReferenceInformation", "SubstanceSourceMaterial", "SubstanceSpecification", "SupplyDelivery",
    "SupplyRequest", "Task", "TerminologyCapabilities", "TestReport", "TestScript", "ValueSet", "VerificationResult",
    "VisionPrescription",
  };
  return types;
}

bool is_r4_resource_type(std::string_view name) {
  const auto& types = r4_resource_types();  // sorted
  return std::binary_search(types.begin(), types.end(), name, std::less<>());
}

std::string_view to_string(SearchParamType type) {
  switch (type) {
    case SearchParamType::token: return "token";
    case SearchParamType::string: return "string";
    case SearchParamType::reference: return "reference";
    case SearchParamType::date: return "date";
  }
  return "token";
}

namespace {

const SearchParamDef kIdentifier{"identifier", SearchParamType::token, "identifier", "An identifier (system|value)"};
const SearchParamDef kHumanName{"name", SearchParamType::string, "name",
                                "Any part of a name (family, given, prefix, suffix, text), starts with"};
const SearchParamDef kPlainName{"name", SearchParamType::string, "name", "The name, starts with"};
const SearchParamDef kFamily{"family", SearchParamType::string, "family", "The family name, starts with"};
const SearchParamDef kGiven{"given", SearchParamType::string, "given", "A given name, starts with"};
const SearchParamDef kBirthdate{"birthdate", SearchParamType::date, "birthdate", "The date of birth"};
const SearchParamDef kGender{"gender", SearchParamType::token, "gender", "Administrative gender"};
const SearchParamDef kStatus{"status", SearchParamType::token, "status", "The status"};
const SearchParamDef kCode{"code", SearchParamType::token, "code", "A code (system|code) of the code element"};
const SearchParamDef kPatient{"patient", SearchParamType::reference, "subject", "The patient (subject or patient)"};
const SearchParamDef kSubject{"subject", SearchParamType::reference, "subject", "The subject (or patient)"};
const SearchParamDef kCategory{"category", SearchParamType::token, "category", "A category (system|code)"};
const SearchParamDef kScope{"scope", SearchParamType::token, "scope", "The consent scope (system|code)"};
const SearchParamDef kDate{"date", SearchParamType::date, "date",
                           "The clinically relevant time (effective[x], period, performed[x], occurrence[x])"};

}  // namespace

std::vector<SearchParamDef> search_params_for(std::string_view t) {
  auto any = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), t) != names.end();
  };
  if (any({"Patient", "Practitioner", "Person"})) return {kIdentifier, kHumanName, kFamily, kGiven, kBirthdate, kGender};
  if (t == "RelatedPerson") return {kIdentifier, kHumanName, kFamily, kGiven, kBirthdate, kGender, kPatient};
  if (any({"Organization", "HealthcareService"})) return {kIdentifier, kPlainName};
  if (t == "Location") return {kIdentifier, kPlainName, kStatus};
  if (t == "PractitionerRole") return {kIdentifier};
  if (t == "Encounter") return {kIdentifier, kStatus, kPatient, kSubject, kDate};
  if (any({"Observation", "DiagnosticReport", "Procedure"}))
    return {kIdentifier, kStatus, kCode, kPatient, kSubject, kDate};
  if (any({"MedicationRequest", "MedicationAdministration", "MedicationStatement", "MedicationDispense",
           "ServiceRequest"}))
    return {kIdentifier, kStatus, kCode, kPatient, kSubject};
  if (t == "Condition") return {kIdentifier, kCode, kPatient, kSubject};
  if (t == "AllergyIntolerance") return {kIdentifier, kCode, kPatient};
  if (t == "Immunization") return {kIdentifier, kStatus, kPatient, kDate};
  if (any({"Specimen", "DocumentReference", "CarePlan"})) return {kIdentifier, kStatus, kPatient, kSubject};
  // Consent.patient is indexed with the subject rows (patient and subject share them).
  if (t == "Consent") return {kIdentifier, kStatus, kPatient, kCategory, kScope};
  return {};
}

}  // namespace artery::fhir
