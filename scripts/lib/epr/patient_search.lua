-- Matching patients against search criteria. Names match case-insensitively
-- from the start ("thorn" finds Thornton), so a receptionist's partial entry
-- works; NHS number, date of birth, sex and postcode must match exactly
-- (postcodes ignoring case and spaces).
local nhs_number = require("epr.nhs_number")

local M = {}

-- The criteria a request may carry, with the names accepted for each.
M.CRITERIA = {
  { key = "surname", names = { "Surname", "LastName", "FamilyName" } },
  { key = "forename", names = { "Forename", "FirstName", "GivenName" } },
  { key = "nhs", names = { "NHSNumber", "NhsNumber", "Identity/NHSNumber", "Identity/NhsNumber" } },
  { key = "dob", names = { "DateOfBirth", "DOB" } },
  { key = "sex", names = { "Sex", "Gender" } },
  { key = "postcode", names = { "Postcode", "PostCode" } },
}

-- Criteria present in a request: a table keyed by criterion, and how many.
function M.criteria_from(params)
  local criteria, count = {}, 0
  for _, criterion in ipairs(M.CRITERIA) do
    local value = params:get(table.unpack(criterion.names))
    if value then
      criteria[criterion.key] = value
      count = count + 1
    end
  end
  return criteria, count
end

local function starts_with(text, prefix)
  return text ~= nil and text:lower():sub(1, #prefix) == prefix:lower()
end

local function compact(text)
  return (text or ""):upper():gsub("%s", "")
end

function M.matches(patient, criteria)
  local d = patient.demographics
  if criteria.surname and not starts_with(d.Surname, criteria.surname) then return false end
  if criteria.forename and not (starts_with(d.FirstName, criteria.forename) or starts_with(d.KnownAs, criteria.forename)) then
    return false
  end
  if criteria.nhs and nhs_number.normalise(criteria.nhs) ~= patient.nhs then return false end
  if criteria.dob and criteria.dob ~= d.DateOfBirth then return false end
  if criteria.sex and criteria.sex:upper():sub(1, 1) ~= (d.Sex or "") then return false end
  if criteria.postcode and compact(criteria.postcode) ~= compact(d.Address and d.Address.Postcode) then return false end
  return true
end

function M.search(patients, criteria)
  local found = {}
  for _, patient in ipairs(patients) do
    if M.matches(patient, criteria) then found[#found + 1] = patient end
  end
  return found
end

return M
