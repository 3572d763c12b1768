-- A patient's demographics: the fields SystmOne returns (in its order), the
-- names callers may use for them, and the checks a change must pass before
-- it is stored. Demographics are a table keyed by the TPP element names,
-- with the address in a nested `Address` table.
local request_error = require("epr.request_error")

local M = {}

-- Response order (spec p30-33); coded fields are written as <X><Code .../></X>.
M.FIELDS = {
  "Title", "FirstName", "MiddleNames", "Surname", "KnownAs", "DateOfBirth", "Sex",
  "MaritalStatus", "Ethnicity", "MainLanguage", "EnglishSpeaker", "Address",
  "HomeTelephone", "WorkTelephone", "MobileTelephone", "AlternateTelephone", "EmailAddress",
  "SMSConsent", "UsualGPUserName", "CareStartDate", "RegistrationType",
}
M.CODED = { MaritalStatus = true, Ethnicity = true, MainLanguage = true }
M.ADDRESS_FIELDS = { "HouseName", "HouseNumber", "Road", "Locality", "Town", "County", "Postcode" }

-- Fields a caller may set, with the other names accepted for them.
local EDITABLE = {
  Title = {}, FirstName = { "Forename", "GivenName" }, MiddleNames = {}, Surname = { "LastName", "FamilyName" },
  KnownAs = {}, DateOfBirth = { "DOB" }, Sex = { "Gender" }, EnglishSpeaker = {},
  HomeTelephone = { "Telephone", "Phone" }, WorkTelephone = {}, MobileTelephone = { "Mobile" },
  AlternateTelephone = {}, EmailAddress = { "Email" }, SMSConsent = {}, UsualGPUserName = {},
  RegistrationType = {},
}
local EDITABLE_ORDER = {
  "Title", "FirstName", "MiddleNames", "Surname", "KnownAs", "DateOfBirth", "Sex", "EnglishSpeaker",
  "HomeTelephone", "WorkTelephone", "MobileTelephone", "AlternateTelephone", "EmailAddress", "SMSConsent",
  "UsualGPUserName", "RegistrationType",
}
local ADDRESS_ALIASES = { Road = { "Street" }, Town = { "City" }, Postcode = { "PostCode" } }

local function trim(text)
  return (text:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function today()
  return os.date("%Y-%m-%d")
end

-- A real calendar date written YYYY-MM-DD (os.time normalises 2023-02-30 to March: compare back).
function M.is_date(text)
  local y, m, d = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return false end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 or d > 31 or y < 1850 then return false end
  local t = os.date("*t", os.time({ year = y, month = m, day = d, hour = 12 }))
  return t.year == y and t.month == m and t.day == d
end

-- UK postcodes: outward code (A9, A99, A9A, AA9, AA99, AA9A) and inward code (9AA).
-- Returns the canonical form "SW1A 1AA", or nil.
function M.postcode(text)
  local compact = text:upper():gsub("%s", "")
  local outward, inward = compact:match("^(%u%u?%d[%u%d]?)(%d%u%u)$")
  if not outward then return nil end
  return outward .. " " .. inward
end

local SEX = { M = "M", F = "F", I = "I", U = "U", MALE = "M", FEMALE = "F", INDETERMINATE = "I", UNKNOWN = "U" }
local YES_NO = { YES = "Yes", NO = "No", TRUE = "Yes", FALSE = "No", Y = "Yes", N = "No" }

-- Checks and normalises one value; raises a permanent request error when it is unusable.
local function checked(field, value)
  if #value > 200 then request_error.raise(field .. " is longer than 200 characters") end
  if field == "DateOfBirth" then
    if not M.is_date(value) then request_error.raise("DateOfBirth must be a date written YYYY-MM-DD, got '" .. value .. "'") end
    if value > today() then request_error.raise("DateOfBirth " .. value .. " is in the future") end
  elseif field == "Sex" then
    local sex = SEX[value:upper()]
    if not sex then request_error.raise("Sex must be M, F, I or U, got '" .. value .. "'") end
    return sex
  elseif field == "Postcode" then
    local postcode = M.postcode(value)
    if not postcode then request_error.raise("'" .. value .. "' is not a UK postcode") end
    return postcode
  elseif field:match("Telephone$") then
    local digits = value:gsub("[%s%-%(%)]", "")
    if not digits:match("^%+?%d+$") or #digits:gsub("%D", "") < 10 or #digits:gsub("%D", "") > 13 then
      request_error.raise(field .. " '" .. value .. "' is not a telephone number")
    end
  elseif field == "EmailAddress" then
    if not value:match("^[^@%s]+@[^@%s]+%.[^@%s]+$") then request_error.raise("'" .. value .. "' is not an email address") end
  elseif field == "SMSConsent" or field == "EnglishSpeaker" then
    local yes_no = YES_NO[value:upper()]
    if not yes_no and not (field == "EnglishSpeaker" and value == "Unknown") then
      request_error.raise(field .. " must be Yes or No, got '" .. value .. "'")
    end
    return yes_no or value
  end
  return value
end

local function first_text(node, names)
  for _, name in ipairs(names) do
    local child = node:child(name)
    if child then return trim(child:text()), child end
  end
  return nil
end

-- Reads the changes a request carries under `node`: fields as direct children
-- (EPR style: <Surname>, <Postcode>...) and/or an <Address> block (TPP
-- style). Returns a table of checked values ("" clears a field) and whether
-- anything was given at all.
function M.changes_from(node)
  local changes, address, any = {}, {}, false
  if not node then return changes, address, false end
  for _, field in ipairs(EDITABLE_ORDER) do
    local names = { field, table.unpack(EDITABLE[field]) }
    local value, element = first_text(node, names)
    if element then
      any = true
      changes[field] = value == "" and "" or checked(field, value)
    end
  end
  local address_node = node:child("Address")
  for _, field in ipairs(M.ADDRESS_FIELDS) do
    local names = { field, table.unpack(ADDRESS_ALIASES[field] or {}) }
    local value, element = first_text(node, names)
    if address_node and not element then value, element = first_text(address_node, names) end
    if element then
      any = true
      address[field] = value == "" and "" or checked(field, value)
    end
  end
  return changes, address, any
end

-- Applies checked changes to stored demographics (a "" value removes the field).
function M.apply(demographics, changes, address)
  for field, value in pairs(changes) do
    demographics[field] = value ~= "" and value or nil
  end
  demographics.Address = demographics.Address or {}
  for field, value in pairs(address) do
    demographics.Address[field] = value ~= "" and value or nil
  end
  return demographics
end

-- What every stored patient must have, checked after a change is applied.
function M.check_complete(demographics)
  for _, field in ipairs({ "FirstName", "Surname", "DateOfBirth", "Sex" }) do
    if not demographics[field] or demographics[field] == "" then request_error.raise("missing parameter " .. field) end
  end
end

return M
