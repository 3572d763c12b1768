-- Builds XML text in a table of parts: every text and attribute value goes
-- through xml.escape, so patient data can never break (or inject into) the
-- document. Cheaper than a DOM for responses that are only ever written.
local Builder = {}
Builder.__index = Builder

local escape = xml.escape

local M = {}

function M.new()
  return setmetatable({ parts = {}, n = 0 }, Builder)
end

local function add(self, text)
  local n = self.n + 1
  self.parts[n] = text
  self.n = n
end

-- Attributes in name order, so output is deterministic; nil values are left out.
local function attributes(self, attrs)
  if not attrs then return end
  local names = {}
  for name, value in pairs(attrs) do
    if value ~= nil then names[#names + 1] = name end
  end
  table.sort(names)
  for _, name in ipairs(names) do
    add(self, " " .. name .. '="' .. escape(tostring(attrs[name])) .. '"')
  end
end

function Builder:open(name, attrs)
  add(self, "<" .. name)
  attributes(self, attrs)
  add(self, ">")
  return self
end

function Builder:close(name)
  add(self, "</" .. name .. ">")
  return self
end

-- <name>text</name>, or <name/> when text is nil or "".
function Builder:leaf(name, text, attrs)
  add(self, "<" .. name)
  attributes(self, attrs)
  if text == nil or text == "" then
    add(self, "/>")
  else
    add(self, ">" .. escape(tostring(text)) .. "</" .. name .. ">")
  end
  return self
end

-- <name a="..."/>
function Builder:empty(name, attrs)
  return self:leaf(name, nil, attrs)
end

-- Text that is already XML (built by another Builder).
function Builder:raw(text)
  add(self, text)
  return self
end

function Builder:result()
  return table.concat(self.parts, "", 1, self.n)
end

return M
