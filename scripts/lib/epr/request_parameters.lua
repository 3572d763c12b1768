-- Reads a request's <FunctionParameters>. Values are trimmed; an empty
-- element counts as absent. Each parameter may have aliases, because callers
-- differ: TPP's own templates write NhsNumber where its XSDs say NHSNumber,
-- and EPR-style clients say Forename where TPP says FirstName.
local request_error = require("epr.request_error")

local Parameters = {}
Parameters.__index = Parameters

local M = {}

local function trim(text)
  return (text:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- `root` is the ClientIntegrationRequest element (FunctionParameters may be absent).
function M.new(root)
  return setmetatable({ node = root:child("FunctionParameters"), root = root }, Parameters)
end

-- The trimmed text at the first of the paths present ("Identity/NHSNumber"), or nil.
function Parameters:get(...)
  if not self.node then return nil end
  for i = 1, select("#", ...) do
    local found = self.node:path((select(i, ...)))
    if found then
      local value = trim(found:text())
      if value ~= "" then return value end
    end
  end
  return nil
end

function Parameters:required(name, ...)
  local value = self:get(name, ...)
  if not value then request_error.raise("missing parameter " .. name) end
  return value
end

-- The element at a path (e.g. "Filter"), or nil.
function Parameters:element(path)
  if not self.node then return nil end
  return self.node:path(path)
end

-- The NHS number given either inside <Identity> (TPP style) or at the top (EPR style).
function Parameters:nhs_number()
  return self:get("Identity/NHSNumber", "Identity/NhsNumber", "NHSNumber", "NhsNumber")
end

-- OutputScheme/Drugs and OutputScheme/Codes sit in the envelope, not in FunctionParameters.
function Parameters:output_scheme(kind, default)
  local node = self.root:path("OutputScheme/" .. kind)
  local value = node and trim(node:text()) or ""
  if value == "" then return default end
  return value
end

return M
