-- ehr-fhir, channel script: the repository's write gate. Every write the
-- FHIR listener accepts (create, update, delete, conditional create/update,
-- a transaction or batch Bundle) is a message here before it is committed.
--
-- It does two things:
--   * records what was written (interaction, resource type, id, the patient
--     it concerns) in ctx.vars, so the console's message search finds every
--     write about one patient, whichever resource it was;
--   * keeps Patients matchable: a Patient without an identifier (NHS number,
--     MRN) cannot be found again by the HL7 feeds' conditional updates
--     (PUT Patient?identifier=...) and becomes a duplicate record. Such a
--     write is refused: the caller gets 422 with the OperationOutcome below,
--     and nothing is kept.
local M = {}

-- The Patients a write carries: the resource itself, or a Bundle's entries.
local function patients_in(resource)
  local found = {}
  if resource.resourceType == "Patient" then
    found[1] = resource
  elseif resource.resourceType == "Bundle" and type(resource.entry) == "table" then
    for _, entry in ipairs(resource.entry) do
      if type(entry.resource) == "table" and entry.resource.resourceType == "Patient" then
        found[#found + 1] = entry.resource
      end
    end
  end
  return found
end

local function has_identifier(patient)
  if type(patient.identifier) ~= "table" then return false end
  for _, identifier in ipairs(patient.identifier) do
    if type(identifier.value) == "string" and identifier.value ~= "" then return true end
  end
  return false
end

-- The patient a resource is about, as a reference ("Patient/123"), or "".
-- For a Bundle: the first entry's that names one (the listener hands the
-- Bundle over with the ids its entries will be stored under).
local function patient_of(resource)
  if resource.resourceType == "Patient" and resource.id then return "Patient/" .. resource.id end
  for _, field in ipairs({ "subject", "patient" }) do
    local ref = resource[field]
    if type(ref) == "table" and type(ref.reference) == "string" then return ref.reference end
  end
  if resource.resourceType == "Bundle" and type(resource.entry) == "table" then
    for _, entry in ipairs(resource.entry) do
      local found = type(entry.resource) == "table" and patient_of(entry.resource) or ""
      if found ~= "" then return found end
    end
  end
  return ""
end

function M.filter(msg, ctx)
  local interaction = ctx.source["fhir.interaction"] or ""
  ctx.vars.interaction = interaction
  ctx.vars.resource_type = ctx.source["fhir.resource_type"] or msg.resourceType or ""
  ctx.vars.resource_id = ctx.source["fhir.id"] or msg.id or ""
  ctx.vars.patient = patient_of(msg)

  if interaction == "delete" then
    -- Deletes are rare in an EHR and worth a line in the log of their own.
    log.warn("delete of", ctx.vars.resource_type .. "/" .. ctx.vars.resource_id,
             "from", ctx.source.remote_address or "?")
    return true
  end

  for _, patient in ipairs(patients_in(msg)) do
    if not has_identifier(patient) then
      local text = "a Patient must carry an identifier (NHS number or MRN) so that it can be matched; "
                .. "refused by the ehr-fhir channel"
      ctx.vars.refused_because = "Patient without an identifier"
      ctx.response = json.encode(fhir.operation_outcome("error", "required", text))
      log.warn(text)
      return false
    end
  end
  return true
end

return M
