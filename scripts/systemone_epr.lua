-- A demo EPR behind the systemone source: answers SystmOne Client
-- Integration requests from the channel's persistent store, seeded with ten
-- synthetic patients. No destinations: the answer is ctx.response, the
-- inside of <Response>; the systemone source wraps it in the envelope.
--
-- Functions: the EPR-style eight (GetFunctions, GetPatients, GetPatient,
-- GetAppointments, GetPrescriptions, GetLabResults, AddPatient,
-- UpdatePatient) and SystmOne's PatientSearch, GetPatientRecord and
-- UpdatePatientRecord. See plugins/systemone/README.md, "EPR channel".
local epr_functions = require("epr.epr_functions")
local patient_store = require("epr.patient_store")
local request_error = require("epr.request_error")
local request_parameters = require("epr.request_parameters")
local tpp_functions = require("epr.tpp_functions")
local xml_builder = require("epr.xml_builder")

-- GetFunctions lists these, in this order.
local FUNCTION_NAMES = {
  "GetFunctions", "GetPatients", "GetPatient", "GetAppointments", "GetPrescriptions", "GetLabResults",
  "AddPatient", "UpdatePatient", "PatientSearch", "GetPatientRecord", "UpdatePatientRecord",
}

local handlers = {
  GetFunctions = function()
    local b = xml_builder.new():open("Functions")
    for _, name in ipairs(FUNCTION_NAMES) do b:leaf("Function", name) end
    return b:close("Functions"):result()
  end,
}
for _, module in ipairs({ epr_functions, tpp_functions }) do
  for _, name in ipairs(FUNCTION_NAMES) do
    if type(module[name]) == "function" then handlers[name] = module[name] end
  end
end
for _, name in ipairs(FUNCTION_NAMES) do assert(handlers[name], "no handler for " .. name) end

local M = {}

function M.transform(msg, ctx)
  local root = msg:root()
  local function_node = root:child("Function")
  local name = function_node and function_node:text() or ""
  ctx.vars["function"] = name

  local store = patient_store.new(ctx.store)
  if store:ensure_seeded() then log.info("seeded the demo EPR with its synthetic patients") end

  local handler = handlers[name]
  if not handler then
    ctx.response = request_error.response("Unknown function " .. name, true)
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
    ctx.response = request_error.response(response.message, response.permanent)
  else
    error(response, 0)  -- a bug, not a bad request: fail the message (answered PermanentError false)
  end
  return nil  -- the stored message stays the request as received
end

return M
