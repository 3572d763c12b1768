-- Errors a handler reports to the caller as a SystmOne error response
-- (<ErrorMessage>, <PermanentError>) rather than as a failed message.
-- They are raised as tables so the dispatcher can tell them from script bugs,
-- which still fail the message (the plugin then answers PermanentError false).
local xml_builder = require("epr.xml_builder")

local RequestError = {}
RequestError.__index = RequestError
RequestError.__tostring = function(e) return e.message end

local M = {}

-- permanent defaults to true: the same request will fail the same way again.
function M.raise(message, permanent)
  error(setmetatable({ message = message, permanent = permanent ~= false }, RequestError), 0)
end

function M.is(value)
  return getmetatable(value) == RequestError
end

function M.response(message, permanent)
  return xml_builder.new()
    :leaf("ErrorMessage", message)
    :leaf("PermanentError", permanent and "true" or "false")
    :result()
end

return M
