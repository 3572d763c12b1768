-- The two shapes the demo EPR can answer in. Only the function list and
-- errors differ; every other response is the same in both.
--
-- epr (the default): the shapes the EPR's own documentation shows, which
--   clients written against that EPR parse:
--     <functions><Item><name>GetFunctions</name><version>1.0</version>
--       <description>...</description></Item>...</functions>
--   and errors directly under the root, with a ResponseUID:
--     <ClientIntegrationResponse><Error>true</Error><ErrorMessage>m</ErrorMessage>
--       <PermanentError>true</PermanentError><ResponseUID>GUID</ResponseUID></ClientIntegrationResponse>
--   (PermanentError is TPP's: EPR clients skip it, Artery's own systemone
--   destination reads it to tell "do not retry" from "try again").
-- tpp: TPP's element names (SystmOne Client Integration spec):
--     <Functions><Function>GetFunctions</Function>...</Functions>
--   and errors inside <Response>:
--     <ErrorMessage>m</ErrorMessage><PermanentError>true</PermanentError>
--
-- Pair each with the systemone source's error_style (epr with `simple`, tpp
-- with `tpp`), which shapes the errors the source answers itself (a wrong
-- APIKey, XML that does not parse).
local xml_builder = require("epr.xml_builder")

local M = {}

M.epr = {
  name = "epr",
  -- functions: list of { name =, description = }, in order.
  function_list = function(functions)
    local b = xml_builder.new():open("functions")
    for _, f in ipairs(functions) do
      b:open("Item"):leaf("name", f.name):leaf("version", "1.0"):leaf("description", f.description):close("Item")
    end
    return b:close("functions"):result()
  end,
  -- A whole response document: the source sends it as it is.
  error_response = function(message, permanent)
    return xml_builder.new()
      :open("ClientIntegrationResponse")
      :leaf("Error", "true")
      :leaf("ErrorMessage", message)
      :leaf("PermanentError", permanent and "true" or "false")
      :leaf("ResponseUID", string.upper(uuid.v4()))
      :close("ClientIntegrationResponse")
      :result()
  end,
}

M.tpp = {
  name = "tpp",
  function_list = function(functions)
    local b = xml_builder.new():open("Functions")
    for _, f in ipairs(functions) do b:leaf("Function", f.name) end
    return b:close("Functions"):result()
  end,
  -- The inside of <Response>: the source wraps it in the envelope.
  error_response = function(message, permanent)
    return xml_builder.new()
      :leaf("ErrorMessage", message)
      :leaf("PermanentError", permanent and "true" or "false")
      :result()
  end,
}

return M
