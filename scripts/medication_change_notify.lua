-- medication-change-notify, channel script: keeps pharmacy order messages
-- (RDE^O11) that change or replace a prescription (ORC-1 XO or RP) and sets
-- the variables the email and webhook destinations are templated with.
-- The output, a JSON summary of the change, is the webhook's body.
local M = {}

local changes = { XO = "changed", RP = "replaced" }

function M.filter(msg, ctx)
  return msg:get("MSH-9.1") == "RDE" and changes[msg:get("ORC-1")] ~= nil
end

function M.transform(msg, ctx)
  local patient_id = msg:get("PID-3.1")
  if patient_id == "" then
    error("order change without a patient identifier in PID-3.1")
  end
  local drug = msg:get("RXE-2.2")
  if drug == "" then drug = msg:get("RXE-2.1") end
  if drug == "" then
    error("order change without a drug in RXE-2")
  end
  local given = msg:get("PID-5.2")
  local family = msg:get("PID-5.1")
  local v = ctx.vars
  v.patient_id = patient_id
  v.patient_name = (given ~= "" and given .. " " or "") .. family
  v.drug = drug
  v.drug_code = msg:get("RXE-2.1")
  v.dose = msg:get("RXE-3")
  v.dose_units = msg:get("RXE-5.1")
  v.order_id = msg:get("ORC-2.1")
  v.change = changes[msg:get("ORC-1")]
  v.ordered_by = msg:get("ORC-12.2") ~= "" and (msg:get("ORC-12.3") .. " " .. msg:get("ORC-12.2")) or "unknown"
  return json.encode({
    event = "medication-" .. v.change,
    patient = { id = patient_id, name = v.patient_name },
    order = { id = v.order_id, ordered_by = v.ordered_by },
    drug = { code = v.drug_code, name = drug, dose = v.dose, units = v.dose_units },
    control_id = msg:get("MSH-10"),
  })
end

return M
