// De-identification of HL7 v2 messages and FHIR R4 JSON under a Profile
// (the rules are in docs/security.md, "De-identification").
#pragma once
#include "deid/profile.hpp"

#include <string>
#include <string_view>

namespace artery::deid {

// The de-identified message (segments ended by \r). One MSH message, several
// back to back, or an FHS/BHS batch. Throws std::invalid_argument with the
// parser's reason when the text is not HL7 v2.
std::string deidentify_hl7(std::string_view text, const Profile& profile);

// The de-identified resource (a Bundle walks its entries), as compact JSON.
// Throws std::invalid_argument when the text is not a JSON object with a
// resourceType.
std::string deidentify_fhir(std::string_view json, const Profile& profile);

}  // namespace artery::deid
