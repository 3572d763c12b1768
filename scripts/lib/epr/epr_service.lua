-- The demo EPR's request dispatcher: answers SystmOne Client Integration
-- requests from the channel's persistent store, seeded with ten synthetic
-- patients, in one of the response styles of epr/response_style.lua. No
-- destinations: the answer is ctx.response (the inside of <Response>, which
-- the systemone source wraps in the envelope, or a whole response document).
--
-- Functions: the EPR-style eight (GetFunctions, GetPatients, GetPatient,
-- GetAppointments, GetPrescriptions, GetLabResults, AddPatient,
-- UpdatePatient) and SystmOne's PatientSearch, GetPatientRecord and
-- UpdatePatientRecord. See plugins/systemone/README.md, "EPR channel".
local epr_functions = require("epr.epr_functions")
local patient_store = require("epr.patient_store")
local request_error = require("epr.request_error")
local request_parameters = require("epr.request_parameters")
local response_style = require("epr.response_style")
local tpp_functions = require("epr.tpp_functions")

-- GetFunctions lists these, in this order.
local FUNCTIONS = {
  { name = "GetFunctions", description = "List the functions this EPR answers" },
  { name = "GetPatients", description = "Find patients by surname, forename, NHS number, date of birth, sex or postcode" },
  { name = "GetPatient", description = "One patient's identity and demographics, by PatientID or NHS number" },
  { name = "GetAppointments", description = "A patient's appointments" },
  { name = "GetPrescriptions", description = "A patient's repeat and acute prescriptions" },
  { name = "GetLabResults", description = "A patient's pathology reports with reference ranges and flags" },
  { name = "AddPatient", description = "Register a new patient (an NHS number is allocated when none is given)" },
  { name = "UpdatePatient", description = "Change a patient's demographics" },
  { name = "PatientSearch", description = "SystmOne patient search (at least two criteria)" },
  { name = "GetPatientRecord", description = "SystmOne patient record: demographics, events, appointments" },
  { name = "UpdatePatientRecord", description = "SystmOne demographics update" },
}

local M = {}

-- style: "epr" or "tpp" (see epr/response_style.lua). Returns the channel
-- script's table.
function M.new(style_name)
  local style = assert(response_style[style_name], "unknown response style " .. tostring(style_name))

  local handlers = {
    GetFunctions = function() return style.function_list(FUNCTIONS) end,
  }
  for _, module in ipairs({ epr_functions, tpp_functions }) do
    for _, f in ipairs(FUNCTIONS) do
      if type(module[f.name]) == "function" then handlers[f.name] = module[f.name] end
    end
  end
  for _, f in ipairs(FUNCTIONS) do assert(handlers[f.name], "no handler for " .. f.name) end

  local script = {}

  function script.transform(msg, ctx)
    local root = msg:root()
    local function_node = root:child("Function")
    local name = function_node and function_node:text() or ""
    ctx.vars["function"] = name

    local store = patient_store.new(ctx.store)
    if store:ensure_seeded() then log.info("seeded the demo EPR with its synthetic patients") end

    local handler = handlers[name]
    if not handler then
      ctx.response = style.error_response("Unknown function " .. name, true)
      return nil
    end
    local params = request_parameters.new(root)
    local request = {
      params = params,
      store = store,
      schemes = { drugs = params:output_scheme("Drugs", "Multilex"), codes = params:output_scheme("Codes", "CTV3") },
    }
    local ok, response, patient_id = pcall(handler, request)
    if ok then
      ctx.response = response
      if patient_id then ctx.vars.patient_id = patient_id end
    elseif request_error.is(response) then
      ctx.response = style.error_response(response.message, response.permanent)
    else
      error(response, 0)  -- a bug, not a bad request: fail the message (answered PermanentError false)
    end
    return nil  -- the stored message stays the request as received
  end

  return script
end

return M
