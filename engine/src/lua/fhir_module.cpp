// The `fhir` module: helpers for FHIR R4 resources held as plain Lua tables,
// the way `json.decode` gives them (see docs/lua-api.md):
//   fhir.get(resource, "name[0].family"), fhir.set(resource, path, value),
//   fhir.reference(resource) / fhir.reference(type, id), fhir.bundle(type, entries),
//   fhir.operation_outcome(severity, code, text), fhir.new_id().
//
// Written in Lua and compiled into each script state: it works on tables, where
// Lua is the natural language and the C API only adds stack bookkeeping. It
// keeps its own references to json and uuid, so a script that reassigns those
// globals does not break it. Errors are raised at level 2: they name the
// caller's line, not this chunk.
#include "lua/modules.hpp"

#include <string_view>

namespace artery::lua {
namespace {

constexpr std::string_view kSource = R"lua(
local json, uuid = json, uuid
local error, type, tostring, ipairs, pairs, setmetatable, getmetatable =
      error, type, tostring, ipairs, pairs, setmetatable, getmetatable
local next, tointeger, remove, concat = next, math.tointeger, table.remove, table.concat

local ARRAY_MARK = getmetatable(json.array())
local NULL = json.null

local fhir = {}

-- A list is a table with an item 1 (no FHIR object has the key 1) or an empty
-- table that json marks as an array.
local function is_list(t)
  return type(t) == "table" and (t[1] ~= nil or getmetatable(t) == ARRAY_MARK)
end

-- "name[0].given[1]" -> {{name="name", index=1}, {name="given", index=2}}
-- (indexes 1-based here; nil when the segment has none).
local path_cache = setmetatable({}, {__mode = "v"})
local function parse_path(fn, path)
  if type(path) ~= "string" then error("fhir." .. fn .. ": the path must be a string, got " .. type(path), 3) end
  local cached = path_cache[path]
  if cached then return cached end
  local segments = {}
  for part in (path .. "."):gmatch("(.-)%.") do
    local name, index = part:match("^([%a_][%w_]*)%[(%d+)%]$")
    if not name then name = part:match("^([%a_][%w_]*)$") end
    if not name then
      error("fhir." .. fn .. ": bad path '" .. path .. "' (expected names with optional [n], e.g. name[0].family)", 3)
    end
    segments[#segments + 1] = {name = name, index = index and (tointeger(index) + 1) or nil}
  end
  path_cache[path] = segments
  return segments
end

function fhir.get(resource, path)
  local segments = parse_path("get", path)
  if type(resource) ~= "table" then error("fhir.get: the resource must be a table, got " .. type(resource), 2) end
  local node = resource
  for _, segment in ipairs(segments) do
    if type(node) ~= "table" then return nil end
    node = node[segment.name]
    if segment.index then
      if not is_list(node) then return nil end
      node = node[segment.index]
    elseif is_list(node) then
      node = node[1]  -- a list without an index means its first item
    end
    if node == nil or node == NULL then return nil end
  end
  return node
end

function fhir.set(resource, path, value)
  local segments = parse_path("set", path)
  if type(resource) ~= "table" then error("fhir.set: the resource must be a table, got " .. type(resource), 2) end
  local node = resource
  local walked = {}
  for i, segment in ipairs(segments) do
    local last = i == #segments
    walked[#walked + 1] = segment.name
    local child = node[segment.name]
    if segment.index then
      if child == nil or child == NULL then
        child = json.array()
        node[segment.name] = child
      elseif type(child) ~= "table" or (not is_list(child) and next(child) ~= nil) then
        error("fhir.set: '" .. concat(walked, ".") .. "' is not a list in '" .. path .. "'", 2)
      end
      if segment.index > #child + 1 then
        error("fhir.set: index " .. (segment.index - 1) .. " is past the end of '" .. concat(walked, ".") ..
              "' (" .. #child .. " items) in '" .. path .. "'", 2)
      end
      if last then
        if value == nil then
          if child[segment.index] ~= nil then remove(child, segment.index) end
        else
          child[segment.index] = value
        end
        return resource
      end
      local item = child[segment.index]
      if item == nil then
        item = json.object()
        child[segment.index] = item
      end
      node = item
    elseif last then
      node[segment.name] = value
      return resource
    else
      if child == nil or child == NULL then
        child = json.object()
        node[segment.name] = child
      elseif is_list(child) then
        if child[1] == nil then child[1] = json.object() end
        child = child[1]
      end
      node = child
    end
    if type(node) ~= "table" then
      error("fhir.set: '" .. concat(walked, ".") .. "' holds a " .. type(node) .. ", not an element, in '" .. path .. "'", 2)
    end
    walked[#walked] = segment.index and (segment.name .. "[" .. (segment.index - 1) .. "]") or segment.name
  end
  return resource
end

-- fullUrls given to resources that have no id, so references made before a
-- Bundle is built and the Bundle's entries agree (weak: no leak across messages).
local full_urls = setmetatable({}, {__mode = "k"})

local function check_type(fn, resource_type)
  if type(resource_type) ~= "string" or not resource_type:match("^%u%a+$") then
    error("fhir." .. fn .. ": '" .. tostring(resource_type) .. "' is not a resource type", 3)
  end
end

function fhir.reference(resource, id)
  if type(resource) == "string" then
    check_type("reference", resource)
    if type(id) == "number" then id = tostring(tointeger(id) or id) end
    if type(id) ~= "string" or not id:match("^[%w%-%.]+$") or #id > 64 then
      error("fhir.reference: '" .. tostring(id) .. "' is not a resource id", 2)
    end
    return resource .. "/" .. id
  end
  if type(resource) ~= "table" then
    error("fhir.reference: expected a resource, a Bundle entry or (type, id), got " .. type(resource), 2)
  end
  if resource.resourceType == nil and type(resource.resource) == "table" then  -- a Bundle entry
    if type(resource.fullUrl) == "string" then return resource.fullUrl end
    resource = resource.resource
  end
  check_type("reference", resource.resourceType)
  if type(resource.id) == "string" and resource.id ~= "" then return resource.resourceType .. "/" .. resource.id end
  local url = full_urls[resource]
  if not url then
    url = "urn:uuid:" .. uuid.v4()
    full_urls[resource] = url
  end
  return url
end

local bundle_types = {document = true, message = true, transaction = true, ["transaction-response"] = true,
  batch = true, ["batch-response"] = true, history = true, searchset = true, collection = true}

function fhir.bundle(bundle_type, entries)
  if not bundle_types[bundle_type] then
    error("fhir.bundle: '" .. tostring(bundle_type) .. "' is not a Bundle type (transaction, batch, collection, " ..
          "searchset, history, document, message, transaction-response, batch-response)", 2)
  end
  if entries ~= nil and type(entries) ~= "table" then
    error("fhir.bundle: entries must be a list of resources or entries, got " .. type(entries), 2)
  end
  local requests = bundle_type == "transaction" or bundle_type == "batch"
  local list = json.array()
  for i, item in ipairs(entries or {}) do
    if type(item) ~= "table" then error("fhir.bundle: entry " .. i .. " is a " .. type(item) .. ", not a table", 2) end
    local entry = item
    if item.resourceType ~= nil then entry = json.object({resource = item}) end
    local resource = entry.resource
    if resource ~= nil and (type(resource) ~= "table" or type(resource.resourceType) ~= "string") then
      error("fhir.bundle: entry " .. i .. " has a resource without a resourceType", 2)
    end
    if requests then
      if entry.request == nil then
        if resource == nil then error("fhir.bundle: entry " .. i .. " has neither a resource nor a request", 2) end
        entry.request = json.object({method = "POST", url = resource.resourceType})
      end
      if resource ~= nil and entry.fullUrl == nil then
        entry.fullUrl = full_urls[resource] or ("urn:uuid:" .. uuid.v4())
      end
    end
    if resource ~= nil and type(entry.fullUrl) == "string" then full_urls[resource] = entry.fullUrl end
    list[#list + 1] = entry
  end
  local bundle = json.object({resourceType = "Bundle", type = bundle_type})
  if #list > 0 then bundle.entry = list end  -- R4 JSON allows no empty arrays
  return bundle
end

local severities = {fatal = true, error = true, warning = true, information = true}

function fhir.operation_outcome(severity, code, text)
  if not severities[severity] then
    error("fhir.operation_outcome: severity must be fatal, error, warning or information, got '" ..
          tostring(severity) .. "'", 2)
  end
  if type(code) ~= "string" or not code:match("^[%w%-]+$") then
    error("fhir.operation_outcome: code must be an issue type such as 'invalid' or 'processing', got '" ..
          tostring(code) .. "'", 2)
  end
  if text ~= nil and type(text) ~= "string" then
    error("fhir.operation_outcome: text must be a string, got " .. type(text), 2)
  end
  local issue = json.object({severity = severity, code = code})
  if text ~= nil and text ~= "" then issue.diagnostics = text end
  return json.object({resourceType = "OperationOutcome", issue = json.array({issue})})
end

function fhir.new_id()
  return uuid.v4()
end

return fhir
)lua";

}  // namespace

void open_fhir_module(lua_State* L) {
  if (luaL_loadbufferx(L, kSource.data(), kSource.size(), "=[fhir module]", "t") != LUA_OK) lua_error(L);
  lua_call(L, 0, 1);
  set_global_module(L, "fhir");
}

}  // namespace artery::lua
