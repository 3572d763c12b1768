-- The demo EPR's own functions, in the style of EPR simulators: flat
-- parameters (PatientID or NHSNumber, Surname...), simple lists back.
-- Each handler takes the request and returns the inner <Response> XML
-- and the PatientID it concerned (for ctx.vars), or raises a request error.
local date_window = require("epr.date_window")
local demographics = require("epr.demographics")
local nhs_number = require("epr.nhs_number")
local patient_search = require("epr.patient_search")
local record_builder = require("epr.record_builder")
local request_error = require("epr.request_error")
local xml_builder = require("epr.xml_builder")

local M = {}

function M.GetPatients(request)
  local criteria = patient_search.criteria_from(request.params)
  local found = patient_search.search(request.store:all(), criteria)
  local b = xml_builder.new():open("Patients", { Count = #found })
  for _, patient in ipairs(found) do record_builder.patient_summary(b, patient) end
  return b:close("Patients"):result()
end

function M.GetPatient(request)
  local patient = request.store:resolve(request.params)
  return record_builder.patient(xml_builder.new(), patient):result(), patient.id
end

-- One section of a patient's clinical record (all dates), as <root PatientID Count>
-- with one element per entry written by `write(builder, entry, schemes)`.
local function patient_section(request, section, root, write)
  local patient = request.store:resolve(request.params)
  local entries = date_window.select(date_window.ALL, request.store:clinical(patient.id)[section], "date_time")
  local b = xml_builder.new():open(root, { PatientID = patient.id, Count = #entries })
  for _, entry in ipairs(entries) do write(b, entry, request.schemes) end
  return b:close(root):result(), patient.id
end

function M.GetAppointments(request)
  return patient_section(request, "appointments", "Appointments", function(b, appointment)
    record_builder.appointment(b, appointment)
  end)
end

function M.GetPrescriptions(request)
  return patient_section(request, "medication", "Prescriptions", function(b, m, schemes)
    b:open("Prescription", { EventUID = m.event_uid, DateTime = m.date_time, PrescribedBy = m.done_by })
    record_builder.medication_fields(b, m, schemes)
    b:close("Prescription")
  end)
end

function M.GetLabResults(request)
  return patient_section(request, "results", "LabResults", function(b, report, schemes)
    b:open("Report", { EventUID = report.event_uid, DateTime = report.date_time, Panel = report.panel })
    for _, item in ipairs(report.items) do record_builder.result_value(b, item, schemes, "Result") end
    b:close("Report")
  end)
end

-- The NHS number a new patient gets: the one given (checked and unused) or a new one.
local function new_nhs_number(request)
  local given = request.params:nhs_number()
  if not given then return request.store:allocate_nhs() end
  if not nhs_number.is_valid(given) then request_error.raise("'" .. given .. "' is not a valid NHS number") end
  local nhs = nhs_number.normalise(given)
  local holder = request.store:id_for_nhs(nhs)
  if holder then request_error.raise("NHS number " .. nhs .. " already belongs to patient " .. holder) end
  return nhs
end

function M.AddPatient(request)
  local changes, address = demographics.changes_from(request.params.node)
  local record = demographics.apply({}, changes, address)
  demographics.check_complete(record)
  local nhs = new_nhs_number(request)
  record.CareStartDate = record.CareStartDate or os.date("%Y-%m-%d")
  record.RegistrationType = record.RegistrationType or "Regular"
  local patient = { id = request.store:allocate_id(), nhs = nhs, demographics = record, created = os.date("%Y-%m-%dT%H:%M:%S") }
  request.store:save(patient)
  return record_builder.patient(xml_builder.new(), patient):result(), patient.id
end

-- The fields to change: direct children of FunctionParameters, or a <Demographics> block.
function M.apply_update(request, patient, node)
  local changes, address, any = demographics.changes_from(node)
  if not any then request_error.raise("no demographic fields to change were given") end
  demographics.apply(patient.demographics, changes, address)
  demographics.check_complete(patient.demographics)
  request.store:save(patient)
  return patient
end

function M.UpdatePatient(request)
  local patient = request.store:resolve(request.params)
  local node = request.params:element("Demographics") or request.params.node
  M.apply_update(request, patient, node)
  return record_builder.patient(xml_builder.new(), patient):result(), patient.id
end

return M
