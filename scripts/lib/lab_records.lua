-- Observation records from ORU messages, and the newest-first order they are
-- kept in. Shared by the lab-results-to-json scripts.
local lab_records = {}

-- One record per OBX. An OBX without its own time (OBX-14) takes the
-- observation time of its order (OBR-7), then the message time (MSH-7).
function lab_records.from_oru(msg)
  local fallback = msg:get("OBR-7")
  if fallback == "" then fallback = msg:get("MSH-7") end
  local out = {}
  for _, obx in ipairs(msg:segments("OBX")) do
    local timestamp = obx:get("14")
    if timestamp == "" then timestamp = fallback end
    out[#out + 1] = {
      Timestamp = timestamp,
      ObservationID = obx:get("3.1"),
      ObservationValue = obx:get("5"),
      Units = obx:get("6.1"),
      ReferenceRange = obx:get("7"),
      AbnormalFlags = obx:get("8"),
    }
  end
  return out
end

-- HL7 times are YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]: compare on the digits
-- padded to full length, so "202401" sorts before "20240101120000".
local function sort_key(timestamp)
  local digits = (timestamp or ""):match("^(%d+)") or ""
  return digits .. string.rep("0", 14 - math.min(#digits, 14))
end

-- `incoming` records go in front of `existing` ones; the whole list is then
-- ordered newest first, ties keeping that order (stable).
function lab_records.merge_newest_first(incoming, existing)
  local all = {}
  for _, r in ipairs(incoming) do all[#all + 1] = r end
  for _, r in ipairs(existing) do all[#all + 1] = r end
  local keyed = {}
  for i, r in ipairs(all) do keyed[i] = { key = sort_key(r.Timestamp), index = i, record = r } end
  table.sort(keyed, function(a, b)
    if a.key ~= b.key then return a.key > b.key end
    return a.index < b.index
  end)
  local out = {}
  for i, k in ipairs(keyed) do out[i] = k.record end
  return out
end

return lab_records
