// What each HL7 v2 field holds, for the fields that identify someone
// (v2.3 to v2.8 positions). A field not listed is checked generically: HL7
// dates in it are shifted, and known values and safe patterns are scrubbed.
#pragma once
#include <string_view>

namespace artery::deid {

enum class FieldClass {
  generic,
  name,        // XPN of the patient, a relative, guarantor, insured, contact
  provider,    // XCN/CNN of a clinician or operator
  identifier,  // CX/EI/ST ids: MRN, account, SSN, licence, order, specimen, device
  telecom,     // XTN
  address,     // XAD
  birth_date,
  sex,
  free_text,   // notes
  obx_value,   // OBX-5: by OBX-2
  remove,      // other identifying values (birth place, employer, query parameters)
};

FieldClass field_class(std::string_view segment, int field);

}  // namespace artery::deid
