-- Errors a handler reports to the caller as an error response (shaped by
-- epr/response_style.lua) rather than as a failed message.
-- They are raised as tables so the dispatcher can tell them from script bugs,
-- which still fail the message (the plugin then answers PermanentError false).

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

return M
