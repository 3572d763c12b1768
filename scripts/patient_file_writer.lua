-- lab-results-to-json, destination script: read-modify-write of
-- patient_<id>.json, created on first sight with the patient's details, each
-- new result in front (records newest first). The fs module only reaches the
-- directories the channel lists.
local lab_records = require("lab_records")

local M = {}

function M.send(msg, ctx)
  local incoming = type(msg) == "table" and msg or json.decode(msg)
  local patient = incoming.patient
  local path = "patient_" .. patient.PatientID .. ".json"
  local file
  local existing = fs.read(path)
  if existing then
    file = json.decode(existing)
  else
    file = {
      PatientID = patient.PatientID,
      Name = patient.Name,
      Surname = patient.Surname,
      Sex = patient.Sex,
      DateOfBirth = patient.DateOfBirth,
      records = {},
    }
  end
  file.records = lab_records.merge_newest_first(incoming.records, file.records or {})
  fs.write(path, json.encode(file, { pretty = true }))
  return path
end

return M
