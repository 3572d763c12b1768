-- NHS numbers: ten digits, the last a modulus-11 check digit over the first
-- nine (weights 10 down to 2). A remainder giving check value 10 means the
-- nine-digit stem can never be issued, so it has no valid number at all.
local M = {}

-- The check digit for a nine-digit stem, or nil when the stem is unusable.
function M.check_digit(stem)
  if type(stem) ~= "string" or not stem:match("^%d%d%d%d%d%d%d%d%d$") then return nil end
  local sum = 0
  for i = 1, 9 do
    sum = sum + tonumber(stem:sub(i, i)) * (11 - i)
  end
  local check = 11 - (sum % 11)
  if check == 11 then return 0 end
  if check == 10 then return nil end
  return check
end

-- "943 476 5919" and "943-476-5919" are written forms of the same number.
function M.normalise(text)
  if type(text) ~= "string" then return "" end
  return (text:gsub("[%s%-]", ""))
end

function M.is_valid(text)
  local digits = M.normalise(text)
  if not digits:match("^%d%d%d%d%d%d%d%d%d%d$") then return false end
  return M.check_digit(digits:sub(1, 9)) == tonumber(digits:sub(10, 10))
end

-- The full ten-digit number for a stem, or nil when the stem has no valid number.
function M.from_stem(stem)
  local check = M.check_digit(stem)
  if not check then return nil end
  return stem .. tostring(check)
end

return M
