-- XML for patients and their record, shaped like SystmOne's GetPatientRecord
-- responses (the KCL captures in tests/fixtures/samples/systemone):
-- Identity, Demographics, Clinical/Event (Medication, ClinicalCode with
-- numeric values), NonClinical/Appointment. The EPR-style functions reuse
-- the same pieces in their own lists.
local demographics = require("epr.demographics")

local M = {}

-- 58 (or 58.0 after a JSON round trip) -> "58"; 4.6 -> "4.6".
function M.number(value)
  if value == nil then return nil end
  if math.type(value) == "float" and value == math.floor(value) and math.abs(value) < 1e15 then
    return string.format("%d", value)
  end
  return tostring(value)
end

-- The numeric part of P100003, as TPP's StrategicReportingIdentifier (a row id).
local function reporting_id(patient)
  return patient.id:match("%d+") or patient.id
end

function M.identity(b, patient)
  return b:open("Identity"):leaf("NHSNumber", patient.nhs):leaf("StrategicReportingIdentifier", reporting_id(patient)):close("Identity")
end

function M.demographics(b, patient)
  local d = patient.demographics
  b:open("Demographics")
  for _, field in ipairs(demographics.FIELDS) do
    if field == "Address" then
      b:open("Address")
      local address = d.Address or {}
      for _, part in ipairs(demographics.ADDRESS_FIELDS) do
        if address[part] then b:leaf(part, address[part]) end
      end
      b:close("Address")
    elseif demographics.CODED[field] and type(d[field]) == "table" then
      b:open(field):empty("Code", { Scheme = d[field].scheme, Code = d[field].code, Term = d[field].term }):close(field)
    elseif field == "EnglishSpeaker" then
      b:leaf(field, d[field] or "Unknown")
    elseif field == "SMSConsent" then
      b:leaf(field, d[field] or "No")
    else
      b:leaf(field, type(d[field]) == "string" and d[field] or nil)
    end
  end
  return b:close("Demographics")
end

-- One line of a patient list (EPR GetPatients).
function M.patient_summary(b, patient)
  local d, address = patient.demographics, patient.demographics.Address or {}
  return b:open("Patient")
    :leaf("PatientID", patient.id):leaf("NHSNumber", patient.nhs)
    :leaf("Title", d.Title):leaf("FirstName", d.FirstName):leaf("Surname", d.Surname)
    :leaf("DateOfBirth", d.DateOfBirth):leaf("Sex", d.Sex)
    :leaf("Town", address.Town):leaf("Postcode", address.Postcode)
    :close("Patient")
end

-- A patient with identity and demographics (EPR GetPatient, PatientSearch matches).
function M.patient(b, patient)
  b:open("Patient"):leaf("PatientID", patient.id)
  M.identity(b, patient)
  M.demographics(b, patient)
  return b:close("Patient")
end

-- <Code Scheme Code Term/> in the scheme asked for (OutputScheme/Codes:
-- CTV3 by default, as SystmOne; Snomed on request). Items without a CTV3
-- code fall back to SNOMED CT, and the Scheme attribute says so.
function M.code(b, item, codes)
  if codes ~= "Snomed" and item.ctv3 then
    return b:empty("Code", { Scheme = "CTV3", Code = item.ctv3, Term = item.term })
  end
  return b:empty("Code", { Scheme = "SNOMED", Code = item.snomed, Term = item.term })
end

local function event_attributes(event, done_at)
  return { DateTime = event.date_time, UserName = event.user, DoneBy = event.done_by, DoneAt = done_at, EventUID = event.event_uid }
end

-- The children of a <Medication> (also of an EPR <Prescription>).
function M.medication_fields(b, m, schemes)
  return b:leaf("MedicationType", m.type)
    :empty("Drug", { Name = m.drug, ProductID = m.product_id, Scheme = schemes.drugs })
    :leaf("Dose", m.dose):leaf("Quantity", m.quantity)
    :leaf("StartDate", m.start_date):leaf("EndDate", m.end_date):leaf("EndReason", m.end_reason)
end

function M.medication(b, m, schemes)
  b:open("Medication")
  M.medication_fields(b, m, schemes)
  return b:close("Medication")
end

-- One numeric result: <ClinicalCode> inside a record Event, <Result> in EPR lists.
function M.result_value(b, item, schemes, element)
  element = element or "ClinicalCode"
  b:open(element)
  M.code(b, item, schemes.codes)
  b:leaf("Value", M.number(item.value)):leaf("Units", item.units)
  if item.low then b:leaf("RangeLow", M.number(item.low)) end
  if item.high then b:leaf("RangeHigh", M.number(item.high)) end
  if item.flag and item.flag ~= "" then b:leaf("AbnormalFlag", item.flag) end
  return b:close(element)
end

function M.problem_event(b, p, schemes)
  b:open("Event", event_attributes(p, "Surgery")):open("ClinicalCode")
  M.code(b, p, schemes.codes)
  return b:leaf("ProblemUID", p.problem_uid):leaf("ProblemSeverity", p.severity):close("ClinicalCode"):close("Event")
end

function M.medication_event(b, m, schemes)
  b:open("Event", event_attributes(m, "Surgery"))
  M.medication(b, m, schemes)
  return b:close("Event")
end

function M.result_event(b, r, schemes)
  b:open("Event", event_attributes(r, "Pathology laboratory"))
  b:open("Narrative"):leaf("Line", "Pathology report: " .. r.panel):close("Narrative")
  for _, item in ipairs(r.items) do M.result_value(b, item, schemes) end
  return b:close("Event")
end

function M.appointment(b, a)
  return b:open("Appointment")
    :leaf("AppointmentUID", a.uid):leaf("DateTime", a.date_time):leaf("Duration", M.number(a.duration))
    :leaf("Clinician", a.clinician):leaf("ClinicianUserName", a.user)
    :leaf("Location", a.location):leaf("SlotType", a.type):leaf("Status", a.status)
    :close("Appointment")
end

return M
