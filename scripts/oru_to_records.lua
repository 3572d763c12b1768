-- lab-results-to-json, channel script: keeps ORU^R01 results, turns each into
-- the patient's identity plus one record per OBX, newest first.
local records = require("lab_records")

local M = {}

function M.filter(msg, ctx)
  return msg:get("MSH-9.1") == "ORU" and (msg:get("MSH-9.2") == "R01" or msg:get("MSH-9.2") == "")
end

function M.transform(msg, ctx)
  local patient_id = msg:get("PID-3.1")
  if patient_id == "" then
    error("ORU without a patient identifier in PID-3.1")
  end
  ctx.vars.patient_id = patient_id
  return {
    patient = {
      PatientID = patient_id,
      Name = msg:get("PID-5.2"),
      Surname = msg:get("PID-5.1"),
      Sex = msg:get("PID-8"),
      DateOfBirth = msg:get("PID-7"),
    },
    records = records.from_oru(msg),
  }
end

return M
