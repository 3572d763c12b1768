-- Dated entries (events, appointments) selected by an inclusive date window
-- and put in time order, as SystmOne lists a record's events.
local demographics = require("epr.demographics")
local request_error = require("epr.request_error")

local M = {}

-- A window from optional YYYY-MM-DD bounds; raises on a malformed bound.
function M.new(min_date, max_date)
  for name, value in pairs({ MinEffectiveDate = min_date, MaxEffectiveDate = max_date }) do
    if value and not demographics.is_date(value:sub(1, 10)) then
      request_error.raise(name .. " must be a date written YYYY-MM-DD, got '" .. value .. "'")
    end
  end
  return { min = min_date and min_date:sub(1, 10), max = max_date and max_date:sub(1, 10) }
end

-- Entries whose `field` (a YYYY-MM-DDTHH:MM:SS string) falls in the window, oldest first.
function M.select(window, entries, field)
  local chosen, position = {}, {}
  for i, entry in ipairs(entries) do
    local day = entry[field]:sub(1, 10)
    if (not window.min or day >= window.min) and (not window.max or day <= window.max) then
      chosen[#chosen + 1] = entry
      position[entry] = i
    end
  end
  -- table.sort is not stable: entries at the same time keep their recorded order.
  table.sort(chosen, function(a, b)
    if a[field] ~= b[field] then return a[field] < b[field] end
    return position[a] < position[b]
  end)
  return chosen
end

M.ALL = {}  -- no bounds: everything

return M
