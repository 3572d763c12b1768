-- fhir-sync, `lua` destination: keeps the newest copy of every imported
-- resource as <data dir>/fhir-sync/<type>-<id>.json. A resource polled again
-- (a newer version) replaces its file; one that arrives out of order (an
-- older meta.versionId than the file's) is kept out, so a replay after a
-- restart can never roll a file back.
local M = {}

local function version_of(resource)
  return tonumber(resource.meta and resource.meta.versionId or "") or 0
end

function M.send(msg, ctx)
  if type(msg.resourceType) ~= "string" or type(msg.id) ~= "string" then
    error("the polled message is not a FHIR resource with an id")
  end
  if not msg.id:match("^[A-Za-z0-9%-%.]+$") then
    error("resource id '" .. msg.id .. "' is not a FHIR id")  -- never a path
  end
  local name = msg.resourceType .. "-" .. msg.id .. ".json"
  local existing = fs.exists(name) and json.decode(fs.read(name))
  if existing and version_of(existing) > version_of(msg) then
    return "kept version " .. version_of(existing) .. " of " .. name .. " (got " .. version_of(msg) .. ")"
  end
  fs.write(name, json.encode(msg, { pretty = true }))
  return "wrote " .. name .. " version " .. version_of(msg)
end

return M
