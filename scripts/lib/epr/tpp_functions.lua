-- SystmOne's core patient functions (Client Integration spec v33.4):
-- PatientSearch, GetPatientRecord and UpdatePatientRecord, answered with the
-- element shapes SystmOne uses (Identity, Demographics, Clinical/Event,
-- NonClinical, RecordState).
local date_window = require("epr.date_window")
local epr_functions = require("epr.epr_functions")
local patient_search = require("epr.patient_search")
local record_builder = require("epr.record_builder")
local request_error = require("epr.request_error")
local xml_builder = require("epr.xml_builder")

local M = {}

-- SystmOne refuses a search on fewer than two criteria (too broad to be safe).
M.MIN_SEARCH_CRITERIA = 2

function M.PatientSearch(request)
  local criteria, count = patient_search.criteria_from(request.params)
  if count < M.MIN_SEARCH_CRITERIA then
    request_error.raise("PatientSearch needs at least " .. M.MIN_SEARCH_CRITERIA ..
      " search criteria (Surname, FirstName, NHSNumber, DateOfBirth, Sex, Postcode), got " .. count)
  end
  local found = patient_search.search(request.store:all(), criteria)
  local b = xml_builder.new():open("Patients", { Count = #found })
  for _, patient in ipairs(found) do record_builder.patient(b, patient) end
  return b:close("Patients"):result()
end

-- Without Identity SystmOne uses the record open on screen; this EPR has no
-- screen, so the patient must be named.
local function named_patient(request)
  if not request.params:nhs_number() and not request.params:get("PatientID") then
    request_error.raise("missing parameter Identity/NHSNumber (no patient record is open)")
  end
  return request.store:resolve(request.params)
end

-- Which parts of the record a Filter asks for. No Filter: everything.
-- Demographics are always returned.
local SECTIONS = { "Appointments", "Medication", "Results", "ClinicalCodes" }

local function wanted_sections(filter)
  local wanted = {}
  for _, section in ipairs(SECTIONS) do wanted[section] = filter == nil or filter:child(section) ~= nil end
  return wanted
end

local function filter_window(filter)
  if not filter then return date_window.ALL end
  local function text(name)
    local node = filter:child(name)
    local value = node and node:text() or ""
    return value ~= "" and value or nil
  end
  return date_window.new(text("MinEffectiveDate"), text("MaxEffectiveDate"))
end

function M.GetPatientRecord(request)
  local patient = named_patient(request)
  local filter = request.params:element("Filter")
  local wanted, window = wanted_sections(filter), filter_window(filter)
  local b = xml_builder.new()
  record_builder.identity(b, patient)
  record_builder.demographics(b, patient)
  if wanted.Medication or wanted.Results or wanted.ClinicalCodes or wanted.Appointments then
    local clinical = request.store:clinical(patient.id)
    -- Clinical events of every kind, merged in time order as SystmOne lists them.
    local events = {}
    local function add(kind, entries)
      for _, entry in ipairs(date_window.select(window, entries, "date_time")) do
        events[#events + 1] = { kind = kind, entry = entry }
      end
    end
    if wanted.ClinicalCodes then add(record_builder.problem_event, clinical.problems) end
    if wanted.Medication then add(record_builder.medication_event, clinical.medication) end
    if wanted.Results then add(record_builder.result_event, clinical.results) end
    table.sort(events, function(x, y)
      if x.entry.date_time ~= y.entry.date_time then return x.entry.date_time < y.entry.date_time end
      return x.entry.event_uid < y.entry.event_uid
    end)
    if #events > 0 then
      b:open("Clinical")
      for _, event in ipairs(events) do event.kind(b, event.entry, request.schemes) end
      b:close("Clinical")
    end
    if wanted.Appointments then
      local appointments = date_window.select(window, clinical.appointments, "date_time")
      if #appointments > 0 then
        b:open("NonClinical")
        for _, appointment in ipairs(appointments) do record_builder.appointment(b, appointment) end
        b:close("NonClinical")
      end
    end
  end
  b:leaf("RecordState", "Closed")
  return b:result(), patient.id
end

-- Demographic changes: <Identity> names the patient, <Demographics> holds
-- the fields to change (an <Address> block inside for address parts).
function M.UpdatePatientRecord(request)
  local patient = named_patient(request)
  local changes = request.params:element("Demographics")
  if not changes then request_error.raise("missing parameter Demographics") end
  epr_functions.apply_update(request, patient, changes)
  local b = xml_builder.new()
  record_builder.identity(b, patient)
  record_builder.demographics(b, patient)
  b:leaf("RecordState", "Closed")
  return b:result(), patient.id
end

return M
