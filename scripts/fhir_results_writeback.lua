-- fhir-results-writeback, channel script: a laboratory result (ORU^R01) as
-- the FHIR an EHR files it under: a DiagnosticReport (from OBR) with its
-- Observations (one per OBX), in one transaction Bundle, so the report never
-- arrives without its results or the other way round.
--
-- The mapper's Bundle also carries the Patient as a conditional update on
-- PID-3 (PUT Patient?identifier=...). The local repository, and servers such
-- as HAPI, accept that. Most production EHRs do not let an interface write
-- Patients: set WRITE_PATIENT to false and the Patient entry is dropped, the
-- results then point at the EHR's existing patient with a conditional
-- reference (Patient?identifier=system|value), which the server resolves
-- inside the transaction (FHIR R4, http.html#trules) or refuses if no patient,
-- or more than one, matches. The local ehr-fhir repository does not resolve
-- conditional references (it would keep the search as the reference's
-- text), so leave WRITE_PATIENT true against it.
local v2 = require("fhir.v2_to_fhir")

local WRITE_PATIENT = true

local M = {}

function M.filter(msg, ctx)
  local kind = msg:get("MSH-9.1") .. "^" .. msg:get("MSH-9.2")
  ctx.vars.message_type = kind
  if kind == "ORU^R01" then return true end
  ctx.vars.filtered_because = kind .. " is not a result: this channel writes back ORU^R01 only"
  log.info("filtered", msg:control_id(), ctx.vars.filtered_because)
  return false
end

-- The Bundle's Patient entry and its index, or nil.
local function patient_entry(bundle)
  for index, entry in ipairs(bundle.entry) do
    if entry.resource and entry.resource.resourceType == "Patient" then return index, entry end
  end
  return nil
end

-- Every {reference = from} in a table tree, rewritten to `to`.
local function rewrite_references(node, from, to)
  if type(node) ~= "table" then return end
  if node.reference == from then node.reference = to end
  for _, child in pairs(node) do rewrite_references(child, from, to) end
end

function M.transform(msg, ctx)
  ctx.vars.patient_id = msg:get("PID-3.1")
  ctx.vars.order_id = msg:get("OBR-3.1") ~= "" and msg:get("OBR-3.1") or msg:get("OBR-2.1")
  local bundle = v2.transaction(msg)
  if not WRITE_PATIENT then
    local index, entry = patient_entry(bundle)
    if not index then error("the result has no patient (PID-3) to file it under") end
    local conditional = entry.request and entry.request.url or ""
    if not conditional:find("?", 1, true) then
      error("the Patient entry has no identifier search to refer to the EHR's patient by")
    end
    table.remove(bundle.entry, index)
    rewrite_references(bundle.entry, entry.fullUrl, conditional)
  end
  ctx.vars.observations = 0
  for _, entry in ipairs(bundle.entry) do
    if entry.resource.resourceType == "Observation" then ctx.vars.observations = ctx.vars.observations + 1 end
  end
  return bundle
end

return M
