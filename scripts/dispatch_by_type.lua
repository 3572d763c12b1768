-- A dispatcher channel's script (docs/routing.md): hands each message to the
-- channel for its type with router.route(), in process. The routes are stored
-- with the message, so they are as durable as its acknowledgement.
local M = {}

local by_type = {
  ADT = "adt-archive",
  ORU = "lab-results",
}

function M.transform(msg, ctx)
  local target = by_type[msg:get("MSH-9.1")]
  if target then
    router.route(target, msg)
  else
    log.warn("no route for message type", msg:get("MSH-9"))
  end
end

return M
