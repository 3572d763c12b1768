-- The EPR's patients in the channel's persistent store (ctx.store, durable in
-- the engine's SQLite). Layout:
--   patient:<PatientID>   JSON {id, nhs, demographics, created, updated}
--   clinical:<PatientID>  JSON {problems, medication, results, appointments}
--   nhs:<NHS number>      PatientID (the index NHS-number look-ups use)
--   next_patient_id       the numeric part of the next PatientID
--   next_nhs_stem         the next nine-digit stem tried for a new NHS number
--   seeded                present once the demo patients are written
-- Demographics and clinical data are kept apart so that the frequent
-- demographic reads decode a small document.
local nhs_number = require("epr.nhs_number")
local request_error = require("epr.request_error")
local seed = require("epr.seed_patients")

local Store = {}
Store.__index = Store

local M = {}

local FIRST_PATIENT_NUMBER = 100000
local FIRST_GENERATED_STEM = 999100000  -- generated NHS numbers stay in the 999 test range

function M.new(kv)
  return setmetatable({ kv = kv }, Store)
end

local function now()
  return os.date("%Y-%m-%dT%H:%M:%S")
end

function Store:get(id)
  local text = self.kv.get("patient:" .. id)
  if not text then return nil end
  return (json.decode(text))
end

function Store:id_for_nhs(nhs)
  return self.kv.get("nhs:" .. nhs_number.normalise(nhs))
end

function Store:get_by_nhs(nhs)
  local id = self:id_for_nhs(nhs)
  return id and self:get(id) or nil
end

-- Every patient, in PatientID order.
function Store:all()
  local patients = {}
  for _, key in ipairs(self.kv.keys("patient:")) do
    patients[#patients + 1] = json.decode(self.kv.get(key))
  end
  return patients
end

function Store:clinical(id)
  local text = self.kv.get("clinical:" .. id)
  local clinical = text and json.decode(text) or {}
  for _, section in ipairs({ "problems", "medication", "results", "appointments" }) do
    clinical[section] = clinical[section] or {}
  end
  return clinical
end

-- Writes a patient; `old_nhs` is the number it was indexed under before a change.
function Store:save(patient, old_nhs)
  patient.updated = now()
  self.kv.set("patient:" .. patient.id, json.encode(patient))
  if old_nhs and old_nhs ~= patient.nhs then self.kv.delete("nhs:" .. old_nhs) end
  self.kv.set("nhs:" .. patient.nhs, patient.id)
end

function Store:save_clinical(id, clinical)
  self.kv.set("clinical:" .. id, json.encode(clinical))
end

-- The patient a request names by PatientID or by NHS number; raises a
-- permanent error when it names none or nobody matches.
function Store:resolve(params)
  local id = params:get("PatientID", "PatientId")
  if id then
    local patient = self:get(id)
    if not patient then request_error.raise("no patient with PatientID " .. id) end
    return patient
  end
  local nhs = params:nhs_number()
  if nhs then
    if not nhs_number.is_valid(nhs) then request_error.raise("'" .. nhs .. "' is not a valid NHS number") end
    local patient = self:get_by_nhs(nhs)
    if not patient then request_error.raise("no patient with NHS number " .. nhs_number.normalise(nhs)) end
    return patient
  end
  request_error.raise("missing parameter PatientID or NHSNumber")
end

function Store:allocate_id()
  local next_number = tonumber(self.kv.get("next_patient_id") or "") or FIRST_PATIENT_NUMBER
  while self.kv.get("patient:P" .. next_number) do next_number = next_number + 1 end
  self.kv.set("next_patient_id", tostring(next_number + 1))
  return "P" .. next_number
end

-- A valid NHS number no patient has yet (stems without a check digit are skipped).
function Store:allocate_nhs()
  local stem = tonumber(self.kv.get("next_nhs_stem") or "") or FIRST_GENERATED_STEM
  local number
  repeat
    number = nhs_number.from_stem(string.format("%09d", stem))
    stem = stem + 1
  until number and not self:id_for_nhs(number)
  self.kv.set("next_nhs_stem", tostring(stem))
  return number
end

-- ---- seeding: the compact demo data expanded into stored records ----

local DAY = 24 * 60 * 60

local function add_days(date, days)
  local y, m, d = date:match("^(%d+)-(%d+)-(%d+)")
  return os.date("%Y-%m-%d", os.time({ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 }) + days * DAY)
end

-- 16 hex digits like SystmOne's EventUIDs, unique per patient, kind and item.
local function uid(patient_index, kind, n)
  return string.format("%02x%02x%04x00000000", patient_index, kind, n)
end

local function flag(value, test)
  if test.high and value > test.high then return "H" end
  if test.low and value < test.low then return "L" end
  return ""
end

local function expand_clinical(index, entry)
  local clinical = { problems = {}, medication = {}, results = {}, appointments = {} }
  for n, problem in ipairs(entry.problems) do
    local condition = seed.CONDITIONS[problem[1]]
    clinical.problems[n] = {
      event_uid = uid(index, 1, n), date_time = problem[2] .. "T10:00:00",
      user = seed.CLINICIANS.patel.user, done_by = seed.CLINICIANS.patel.name,
      snomed = condition.snomed, ctv3 = condition.ctv3, term = condition.term,
      problem_uid = uid(index, 5, n), severity = "Major",
    }
  end
  for n, item in ipairs(entry.medication) do
    local drug, clinician = seed.DRUGS[item[1]], seed.CLINICIANS[item[3]]
    clinical.medication[n] = {
      event_uid = uid(index, 2, n), date_time = item[2] .. "T12:00:00",
      user = clinician.user, done_by = clinician.name, type = "NHS medication",
      drug = drug.name, product_id = drug.id, dose = drug.dose, quantity = drug.quantity,
      start_date = item[2], end_date = add_days(item[2], 28),
    }
  end
  for n, report in ipairs(entry.results) do
    local items = {}
    for _, key in ipairs(seed.PANELS[report[1]]) do
      local test, value = seed.TESTS[key], report[3][key]
      items[#items + 1] = {
        snomed = test.snomed, ctv3 = test.ctv3, term = test.term, value = value, units = test.units,
        low = test.low, high = test.high, flag = flag(value, test),
      }
    end
    clinical.results[n] = {
      event_uid = uid(index, 3, n), date_time = report[2], panel = report[1],
      user = "pathology", done_by = "Pathology laboratory", items = items,
    }
  end
  for n, slot in ipairs(entry.appointments) do
    local clinician = seed.CLINICIANS[slot[3]]
    clinical.appointments[n] = {
      uid = uid(index, 4, n), date_time = slot[1], duration = slot[2], user = clinician.user,
      clinician = clinician.name, type = slot[4], status = slot[5], location = "Main Surgery",
    }
  end
  return clinical
end

-- Writes the demo patients unless they are there already (the first request
-- after the channel's store was created does it).
function Store:ensure_seeded()
  if self.kv.get("seeded") then return false end
  for index, entry in ipairs(seed.PATIENTS) do
    local nhs = assert(nhs_number.from_stem(entry.stem), "seed stem without a valid NHS number")
    local id = "P" .. (FIRST_PATIENT_NUMBER + index - 1)
    local patient = { id = id, nhs = nhs, demographics = entry.demographics, created = now() }
    self:save(patient)
    self:save_clinical(id, expand_clinical(index, entry))
  end
  self.kv.set("next_patient_id", tostring(FIRST_PATIENT_NUMBER + #seed.PATIENTS))
  self.kv.set("seeded", now())
  return true
end

return M
