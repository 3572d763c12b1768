-- hl7-to-fhir, channel script: HL7 v2 admissions and results into one FHIR
-- transaction Bundle each (scripts/lib/fhir/v2_to_fhir.lua does the mapping,
-- following HL7's v2-to-FHIR mapping; docs/fhir.md lists what maps where).
-- The fhir destination posts the Bundle to the repository (ehr-fhir), where
-- the Patient entry is a conditional update on PID-3, so every message about
-- one patient updates the same Patient.
local v2 = require("fhir.v2_to_fhir")

-- PID-3's assigning authorities (CX.4) as the identifier systems the EHR uses,
-- so a patient admitted over HL7 carries the same MRN system as the seeded
-- ones (channels/seed/ehr-fhir-seed.json). Unlisted authorities become
-- urn:artery:assigning-authority:<name>.
v2.systems.HOSP = "https://riverside-general.example.org/Id/mrn"
v2.systems.NHS = "https://fhir.nhs.uk/Id/nhs-number"

local M = {}

-- The message types the mapper turns into FHIR, and what each becomes.
local supported = {
  ["ADT^A01"] = "Patient and Encounter (admission)",
  ["ADT^A04"] = "Patient and Encounter (registration)",
  ["ADT^A08"] = "Patient and Encounter (update)",
  ["ORU^R01"] = "Patient, Observations and a DiagnosticReport",
}

function M.filter(msg, ctx)
  local kind = msg:get("MSH-9.1") .. "^" .. msg:get("MSH-9.2")
  ctx.vars.message_type = kind
  if supported[kind] then return true end
  -- Kept in the store as FILTERED with this variable, so the console shows why
  -- (the sender still gets AA: the message was received, it is simply not ours).
  ctx.vars.filtered_because = kind .. " is not mapped to FHIR (this channel maps "
                              .. "ADT^A01, ADT^A04, ADT^A08 and ORU^R01)"
  log.info("filtered", msg:control_id(), ctx.vars.filtered_because)
  return false
end

function M.transform(msg, ctx)
  ctx.vars.patient_id = msg:get("PID-3.1")
  ctx.vars.fhir_content = supported[ctx.vars.message_type]
  local bundle = v2.transaction(msg)
  ctx.vars.entries = #bundle.entry
  return bundle
end

return M
