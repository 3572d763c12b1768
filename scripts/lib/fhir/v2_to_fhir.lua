-- HL7 v2 -> FHIR R4, following HL7's v2-to-FHIR mapping (the v2mappings IG,
-- github.com/HL7/v2-to-fhir): PID -> Patient, PV1 -> Encounter, OBX ->
-- Observation, OBR -> DiagnosticReport, and the transaction Bundle that posts
-- them. `local v2 = require("fhir.v2_to_fhir")`; msg is the hl7 message object.
--
-- Choices the IG leaves to implementers (docs/lua-api.md):
--  * PID-3's assigning authority (CX.4) becomes Identifier.system: its
--    universal id (CX.4.2, an OID or a URI) when there is one, else the entry
--    for its namespace in v2.systems, else v2.identifier_system_base .. namespace.
--  * HL7 timestamps keep their own zone; without one they take MSH-7's zone;
--    with neither, a value with a time is cut to its date (FHIR needs a zone).
--  * Values FHIR would refuse (a birth date of 1962-03-52) are left out, not guessed.
local v2 = {}

v2.identifier_system_base = "urn:artery:assigning-authority:"
v2.systems = {}  -- assigning authority namespace (CX.4.1) -> Identifier.system

local UCUM = "http://unitsofmeasure.org"
local V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"

-- Coding system names of v2 table 0396 (CWE.3) that have a FHIR URI.
v2.coding_systems = {
  LN = "http://loinc.org", LOINC = "http://loinc.org",
  SCT = "http://snomed.info/sct", SNM = "http://snomed.info/sct", SNOMEDCT = "http://snomed.info/sct",
  UCUM = UCUM, ["ISO+"] = UCUM,
  I9 = "http://hl7.org/fhir/sid/icd-9-cm", I9C = "http://hl7.org/fhir/sid/icd-9-cm",
  I10 = "http://hl7.org/fhir/sid/icd-10", I10C = "http://hl7.org/fhir/sid/icd-10-cm",
  CPT = "http://www.ama-assn.org/go/cpt", C4 = "http://www.ama-assn.org/go/cpt",
  RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm", CVX = "http://hl7.org/fhir/sid/cvx",
  NDC = "http://hl7.org/fhir/sid/ndc",
}

-- Common v2 unit spellings whose UCUM code differs (UCUM is case-sensitive).
local ucum_codes = {["mg/dl"] = "mg/dL", ["g/dl"] = "g/dL", ["ml"] = "mL", ["ug/dl"] = "ug/dL",
  ["ng/ml"] = "ng/mL", ["pg/ml"] = "pg/mL", ["mmol/l"] = "mmol/L", ["umol/l"] = "umol/L", ["meq/l"] = "meq/L",
  ["iu/l"] = "[IU]/L", ["u/l"] = "U/L", ["fl"] = "fL", ["l"] = "L", ["sec"] = "s", ["mmhg"] = "mm[Hg]",
  ["degc"] = "Cel", ["cel"] = "Cel", ["kg"] = "kg", ["cm"] = "cm", ["bpm"] = "/min"}

-- Table 0001 -> administrative-gender (vocab_HL70001_AdministrativeSex_to_gender.csv).
local genders = {F = "female", M = "male", O = "other", U = "unknown", A = "other", N = "other"}
-- Table 0004 -> Encounter.class (vocab_HL70004_PatientClass_to_Encounter_class.csv).
local classes = {
  E = {"http://terminology.hl7.org/CodeSystem/v3-ActCode", "EMER", "emergency"},
  I = {"http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient encounter"},
  O = {"http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB", "ambulatory"},
  P = {"http://terminology.hl7.org/CodeSystem/v3-ActCode", "PRENC", "pre-admission"},
  R = {"http://terminology.hl7.org/CodeSystem/v2-0004", "R", "Recurring patient"},
  B = {"http://terminology.hl7.org/CodeSystem/v2-0004", "B", "Obstetrics"},
  C = {"http://terminology.hl7.org/CodeSystem/v2-0004", "C", "Commercial Account"},
  N = {"http://terminology.hl7.org/CodeSystem/v2-0004", "N", "Not Applicable"},
  U = {"http://terminology.hl7.org/CodeSystem/v2-0004", "U", "Unknown"},
}
-- Table 0085 -> Observation.status (vocab_HL70085_...csv; I, R, S, U filled in:
-- I "in process" has no result yet, which is FHIR's registered).
local observation_statuses = {F = "final", P = "preliminary", C = "corrected", A = "amended",
  D = "entered-in-error", W = "entered-in-error", X = "cancelled", I = "registered", R = "preliminary",
  S = "preliminary", U = "final"}
-- Table 0123 -> DiagnosticReport.status (vocab_HL70123_...csv).
local report_statuses = {F = "final", P = "preliminary", C = "corrected", R = "partial", X = "cancelled",
  O = "registered", I = "registered", S = "registered", A = "partial", Y = "unknown", Z = "unknown"}
-- Table 0078 codes that are v3 ObservationInterpretation codes as they are.
local interpretations = {}
for code in ("L H LL HH < > N A AA S R I NEG POS IND DET ND U D B W"):gmatch("%S+") do interpretations[code] = true end
-- XPN.7 name type -> HumanName.use; XAD.7 address type -> Address.use / type; XTN.2 -> ContactPoint.use.
local name_uses = {L = "official", D = "usual", M = "maiden", N = "nickname", A = "anonymous", B = "official",
  C = "official", P = "usual", T = "temp", U = "usual", R = "official", S = "anonymous", BAD = "old", NOUSE = "old"}
local address_uses = {H = "home", B = "work", C = "temp", BA = "old", O = "work", BI = "billing"}
local telecom_uses = {PRN = "home", ORN = "home", WPN = "work", VHN = "temp", ASN = "work", EMR = "home",
  NET = "home", BPN = "work", PRS = "mobile"}
local telecom_systems = {PH = "phone", FX = "fax", MD = "other", CP = "phone", BP = "pager", Internet = "email",
  X400 = "email", TDD = "other", TTY = "other", SAT = "phone"}

-- ---- reading the message ----

-- A value of the segment, nil when empty or the explicit null "".
local function value(segment, path)
  if segment == nil then return nil end
  local v = segment:get(path)
  if v == "" or v == '""' then return nil end
  return v
end

local function repetitions(segment, field)
  if segment == nil then return 0 end
  return segment[field]:count()
end

local function add(list, item)
  if item ~= nil then list[#list + 1] = item end
  return list
end

local function nonempty(t)
  if next(t) == nil then return nil end
  return t
end

-- The segments in message order: {name=, index=, segment=} (index among that name).
local function segments_in_order(msg)
  local seen, out = {}, {}
  for line in (tostring(msg) .. "\r"):gmatch("([^\r\n]*)[\r\n]") do
    local name = line:sub(1, 3)
    if #name == 3 then
      seen[name] = (seen[name] or 0) + 1
      out[#out + 1] = {name = name, index = seen[name]}
    end
  end
  for _, s in ipairs(out) do s.segment = msg:segment(s.name, s.index) end
  return out
end

-- The order groups of an ORU in order: {obr = segment, obr_index = n, obx = {segments}}
-- (OBX before any OBR form a group without obr).
local function order_groups(msg)
  local groups, current = {}, nil
  for _, s in ipairs(segments_in_order(msg)) do
    if s.name == "OBR" then
      current = {obr = s.segment, obr_index = s.index, obx = {}}
      groups[#groups + 1] = current
    elseif s.name == "OBX" then
      if current == nil then
        current = {obx = {}}
        groups[#groups + 1] = current
      end
      current.obx[#current.obx + 1] = s.segment
    end
  end
  return groups
end

-- ---- data types ----

-- Percent-encodes text for a URI or a search value (RFC 3986 unreserved, ':' and '/' kept).
local function url_encode(text)
  return (text:gsub("[^%w%-%._~:/]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function message_zone(msg)
  local ts = msg:get("MSH-7.1")
  return ts:match("^%d+%.?%d*([%+%-]%d%d%d%d)$")
end

local function in_range(text, low, high)
  local n = tonumber(text)
  return n ~= nil and n >= low and n <= high
end

-- DTM "YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]" -> FHIR date or dateTime.
function v2.datetime(text, default_zone)
  if text == nil then return nil end
  local digits, fraction, zone = text:match("^(%d+)(%.?%d*)([%+%-]?%d*)$")
  if digits == nil or #digits < 4 or #digits > 14 or #digits % 2 == 1 then return nil end
  local Y, M, D, h, m, s = digits:sub(1, 4), digits:sub(5, 6), digits:sub(7, 8), digits:sub(9, 10),
                           digits:sub(11, 12), digits:sub(13, 14)
  if Y == "0000" or (M ~= "" and not in_range(M, 1, 12)) or (D ~= "" and not in_range(D, 1, 31)) or
     (h ~= "" and not in_range(h, 0, 23)) or (m ~= "" and not in_range(m, 0, 59)) or
     (s ~= "" and not in_range(s, 0, 60)) then
    return nil
  end
  local date = Y .. (M ~= "" and ("-" .. M) or "") .. (D ~= "" and ("-" .. D) or "")
  if h == "" then return date end
  if zone == "" then zone = default_zone end
  if zone == nil or not zone:match("^[%+%-]%d%d%d%d$") then return date end  -- a time needs a zone in FHIR
  local out = date .. "T" .. h .. ":" .. (m ~= "" and m or "00") .. ":" .. (s ~= "" and s or "00")
  if s ~= "" and #fraction > 1 then out = out .. fraction end
  return out .. zone:sub(1, 3) .. ":" .. zone:sub(4, 5)
end

function v2.date(text)
  if text == nil then return nil end
  local dt = v2.datetime(text:match("^(%d+)"))
  if dt == nil then return nil end
  return dt:sub(1, 10)
end

-- CWE/CE at `path` (e.g. "3" or "6") -> CodeableConcept: the identifier and
-- the alternate identifier as codings, CWE.9 (or a lone CWE.2) as text.
local function codeable_concept(segment, path)
  local concept, codings = {}, {}
  for _, offset in ipairs({0, 3}) do
    local code = value(segment, path .. "." .. (1 + offset))
    local display = value(segment, path .. "." .. (2 + offset))
    local system_name = value(segment, path .. "." .. (3 + offset))
    if code then
      local system = system_name and (v2.coding_systems[system_name] or v2.coding_systems[system_name:upper()])
      codings[#codings + 1] = {system = system, code = code, display = display}
    elseif display and offset == 0 then
      concept.text = display
    end
  end
  if #codings > 0 then concept.coding = codings end
  concept.text = value(segment, path .. ".9") or concept.text
  if concept.coding == nil and concept.text == nil then return nil end
  return concept
end

-- OBX-6 (CWE) -> the unit, code and system of a Quantity.
local function quantity(number, segment)
  local q = {value = number}
  local code = value(segment, "6.1")
  local unit = value(segment, "6.2") or code
  local system_name = value(segment, "6.3")
  q.unit = unit
  if code then
    if system_name == nil or v2.coding_systems[system_name] == UCUM then
      q.system, q.code = UCUM, ucum_codes[code:lower()] or code
    elseif v2.coding_systems[system_name] then
      q.system, q.code = v2.coding_systems[system_name], code
    end
  end
  return q
end

local function number(text)
  if text == nil or not text:match("^%s*[%+%-]?%d*%.?%d+%s*$") then return nil end
  return tonumber(text)
end

local function identifier_system(segment, path)
  local namespace = value(segment, path .. ".4.1")
  local universal = value(segment, path .. ".4.2")
  local kind = value(segment, path .. ".4.3")
  if universal then
    if kind == "ISO" or universal:match("^[0-2][%.%d]+$") then return "urn:oid:" .. universal end
    if universal:match("^%a[%w+.-]*:") then return universal end
  end
  if namespace then return v2.systems[namespace] or (v2.identifier_system_base .. url_encode(namespace)) end
  return nil
end

-- CX at `path` ("3[2]") -> Identifier.
local function identifier(segment, path)
  local id_value = value(segment, path .. ".1")
  if id_value == nil then return nil end
  local out = {value = id_value, system = identifier_system(segment, path)}
  local type_code = value(segment, path .. ".5")
  if type_code then out.type = {coding = {{system = V2_0203, code = type_code}}} end
  local start, finish = v2.date(value(segment, path .. ".7")), v2.date(value(segment, path .. ".8"))
  if start or finish then out.period = {start = start, ["end"] = finish} end
  return out
end

local function human_name(segment, path)
  local name = {family = value(segment, path .. ".1")}
  name.given = nonempty(add(add({}, value(segment, path .. ".2")), value(segment, path .. ".3")))
  name.prefix = nonempty(add({}, value(segment, path .. ".5")))
  name.suffix = nonempty(add(add({}, value(segment, path .. ".4")), value(segment, path .. ".6")))
  local use = value(segment, path .. ".7")
  if use then name.use = name_uses[use] end
  local start, finish = v2.date(value(segment, path .. ".12")), v2.date(value(segment, path .. ".13"))
  if start or finish then name.period = {start = start, ["end"] = finish} end
  if name.family == nil and name.given == nil then return nil end
  return name
end

local function address(segment, path)
  local a = {city = value(segment, path .. ".3"), state = value(segment, path .. ".4"),
             postalCode = value(segment, path .. ".5"), country = value(segment, path .. ".6")}
  a.line = nonempty(add(add({}, value(segment, path .. ".1")), value(segment, path .. ".2")))
  local kind = value(segment, path .. ".7")
  if kind == "M" then a.type = "postal" elseif kind then a.use = address_uses[kind] end
  if a.line == nil and a.city == nil and a.state == nil and a.postalCode == nil and a.country == nil then return nil end
  return a
end

local function contact_point(segment, path, default_use)
  local c = {}
  local equipment = value(segment, path .. ".3")
  local email = value(segment, path .. ".4")
  local local_number = value(segment, path .. ".7")
  if email and (equipment == "Internet" or equipment == "X.400" or equipment == nil) then
    c.system, c.value = "email", email
  elseif local_number then
    c.value = (value(segment, path .. ".6") and ("(" .. value(segment, path .. ".6") .. ")") or "") .. local_number
  else
    c.value = value(segment, path .. ".1")
  end
  if c.value == nil then return nil end
  c.system = c.system or telecom_systems[equipment or ""] or "phone"
  local use = value(segment, path .. ".2")
  c.use = use and telecom_uses[use] or default_use
  if equipment == "CP" then c.use = "mobile" end
  return c
end

local function reference(ref)
  if ref == nil then return nil end
  if type(ref) == "table" then return ref end
  return {reference = ref}
end

-- ---- resources ----

function v2.patient(msg)
  local pid = msg:segment("PID")
  if pid == nil then error("v2.patient: the message has no PID segment", 2) end
  local p = {resourceType = "Patient"}
  local identifiers = {}
  for r = 1, repetitions(pid, 3) do add(identifiers, identifier(pid, "3[" .. r .. "]")) end
  local ssn = value(pid, "19")
  if ssn then
    add(identifiers, {system = "http://hl7.org/fhir/sid/us-ssn", value = ssn,
                      type = {coding = {{system = V2_0203, code = "SS"}}}})
  end
  p.identifier = nonempty(identifiers)
  local names = {}
  for r = 1, repetitions(pid, 5) do add(names, human_name(pid, "5[" .. r .. "]")) end
  p.name = nonempty(names)
  local birth = value(pid, "7.1")
  p.birthDate = v2.date(birth)
  local sex = value(pid, "8")
  if sex then p.gender = genders[sex:upper()] or "unknown" end
  local addresses = {}
  for r = 1, repetitions(pid, 11) do add(addresses, address(pid, "11[" .. r .. "]")) end
  p.address = nonempty(addresses)
  local telecom = {}
  for r = 1, repetitions(pid, 13) do add(telecom, contact_point(pid, "13[" .. r .. "]", "home")) end
  for r = 1, repetitions(pid, 14) do add(telecom, contact_point(pid, "14[" .. r .. "]", "work")) end
  p.telecom = nonempty(telecom)
  local deceased = v2.datetime(value(pid, "29.1"), message_zone(msg))
  if deceased then
    p.deceasedDateTime = deceased
  elseif value(pid, "30") == "Y" then
    p.deceasedBoolean = true
  elseif value(pid, "30") == "N" then
    p.deceasedBoolean = false
  end
  return p
end

-- The identifier the transaction's conditional update finds the Patient by:
-- the first PID-3 of type MR, else the first PID-3.
function v2.patient_identifier(patient)
  local first
  for _, id in ipairs(patient.identifier or {}) do
    local code = id.type and id.type.coding and id.type.coding[1].code
    if code == "MR" then return id end
    if first == nil and code ~= "SS" then first = id end
  end
  return first
end

function v2.encounter(msg, patient_ref)
  local pv1 = msg:segment("PV1")
  if pv1 == nil then return nil end
  local class_code = value(pv1, "2")
  if class_code == nil then return nil end
  local zone = message_zone(msg)
  local e = {resourceType = "Encounter"}
  local class = classes[class_code:upper()]
  if class then
    e.class = {system = class[1], code = class[2], display = class[3]}
  else
    e.class = {system = "http://terminology.hl7.org/CodeSystem/v2-0004", code = class_code}
  end
  local start = v2.datetime(value(pv1, "44.1"), zone)
  local finish = v2.datetime(value(pv1, "45.1"), zone)
  if finish then
    e.status = "finished"
  elseif class_code:upper() == "P" then
    e.status = "planned"
  else
    e.status = "in-progress"
  end
  if start or finish then e.period = {start = start, ["end"] = finish} end
  local visit = identifier(pv1, "19")
  if visit then
    visit.type = visit.type or {coding = {{system = V2_0203, code = "VN"}}}
    e.identifier = {visit}
  end
  local location = table.concat(add(add(add({}, value(pv1, "3.1")), value(pv1, "3.2")), value(pv1, "3.3")), " ")
  if location ~= "" then e.location = {{location = {display = location}}} end
  -- PV1-7 attending, PV1-8 referring, PV1-9 consulting, PV1-17 admitting doctor:
  -- XCN (1 id, 2 family, 3 given), kept as display names (no Practitioner is made).
  local participants = {}
  for _, role in ipairs({{"7", "ATND", "attender"}, {"8", "REF", "referrer"}, {"9", "CON", "consultant"},
                         {"17", "ADM", "admitter"}}) do
    local display = table.concat(add(add({}, value(pv1, role[1] .. ".3")), value(pv1, role[1] .. ".2")), " ")
    if display ~= "" then
      add(participants, {type = {{coding = {{system = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                             code = role[2], display = role[3]}}}},
                         individual = {display = display}})
    end
  end
  e.participant = nonempty(participants)
  e.subject = reference(patient_ref)
  return e
end

local function reference_range(obx, unit_source)
  local text = value(obx, "7")
  if text == nil then return nil end
  local range = {text = text}
  local low, high = text:match("^%s*(%d*%.?%d+)%s*[%-_]%s*(%d*%.?%d+)%s*$")
  if low then
    range.low = quantity(tonumber(low), unit_source)
    range.high = quantity(tonumber(high), unit_source)
  else
    local op, limit = text:match("^%s*([<>])=?%s*(%d*%.?%d+)%s*$")
    if op == "<" then range.high = quantity(tonumber(limit), unit_source) end
    if op == ">" then range.low = quantity(tonumber(limit), unit_source) end
  end
  return {range}
end

local function set_value(o, obx, zone)
  local kind = (value(obx, "2") or ""):upper()
  if value(obx, "5") == nil then return end
  if kind == "NM" then
    local n = number(value(obx, "5.1"))
    if n then o.valueQuantity = quantity(n, obx) else o.valueString = value(obx, "5") end
  elseif kind == "ST" or kind == "TX" or kind == "FT" then
    local parts = {}
    for r = 1, repetitions(obx, 5) do add(parts, value(obx, "5[" .. r .. "]")) end
    o.valueString = table.concat(parts, "\n")
  elseif kind == "CE" or kind == "CWE" or kind == "CNE" or kind == "IS" or kind == "ID" then
    o.valueCodeableConcept = codeable_concept(obx, "5")
  elseif kind == "SN" then
    local comparator, n1 = value(obx, "5.1"), number(value(obx, "5.2"))
    local separator, n2 = value(obx, "5.3"), number(value(obx, "5.4"))
    if n1 and n2 and separator == "-" then
      o.valueRange = {low = quantity(n1, obx), high = quantity(n2, obx)}
    elseif n1 and n2 and (separator == ":" or separator == "/") then
      o.valueRatio = {numerator = {value = n1}, denominator = {value = n2}}
    elseif n1 and separator == nil and n2 == nil then
      o.valueQuantity = quantity(n1, obx)
      if comparator == "<" or comparator == ">" or comparator == "<=" or comparator == ">=" then
        o.valueQuantity.comparator = comparator
      end
    else
      o.valueString = table.concat(add(add(add(add({}, comparator), value(obx, "5.2")), separator),
                                       value(obx, "5.4")))
    end
  elseif kind == "DT" or kind == "TS" or kind == "DTM" then
    o.valueDateTime = v2.datetime(value(obx, "5.1"), zone)
  elseif kind == "TM" then
    local h, m, s = (value(obx, "5.1") or ""):match("^(%d%d)(%d%d)(%d?%d?)")
    if h then o.valueTime = h .. ":" .. m .. ":" .. (s ~= "" and s or "00") end
  end
end

local function observation(obx, patient_ref, zone, obr)
  local o = {resourceType = "Observation"}
  local status = value(obx, "11")
  o.status = status and observation_statuses[status:upper()] or "unknown"
  o.code = codeable_concept(obx, "3") or {text = "unknown"}
  o.subject = reference(patient_ref)
  o.effectiveDateTime = v2.datetime(value(obx, "14.1"), zone) or (obr and v2.datetime(value(obr, "7.1"), zone))
  set_value(o, obx, zone)
  o.referenceRange = reference_range(obx, obx)
  local flags = {}
  for r = 1, repetitions(obx, 8) do
    local flag = value(obx, "8[" .. r .. "]")
    if flag then
      local known = interpretations[flag:upper()]
      add(flags, {coding = {{system = known and "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
                                    or "http://terminology.hl7.org/CodeSystem/v2-0078",
                             code = known and flag:upper() or flag}}})
    end
  end
  o.interpretation = nonempty(flags)
  return o
end

-- Every OBX of the message, or only those after the obr_index-th OBR.
function v2.observations(msg, patient_ref, obr_index)
  local zone, out = message_zone(msg), {}
  for _, group in ipairs(order_groups(msg)) do
    if obr_index == nil or obr_index == group.obr_index then
      for _, obx in ipairs(group.obx) do out[#out + 1] = observation(obx, patient_ref, zone, group.obr) end
    end
  end
  return out
end

-- The DiagnosticReport of the obr_index-th OBR (default the first).
function v2.diagnostic_report(msg, patient_ref, observation_refs, obr_index)
  local obr = msg:segment("OBR", obr_index or 1)
  if obr == nil then error("v2.diagnostic_report: the message has no OBR segment " .. (obr_index or 1), 2) end
  local zone = message_zone(msg)
  local r = {resourceType = "DiagnosticReport"}
  local ids = {}
  local placer, filler = value(obr, "2.1"), value(obr, "3.1")
  if placer then add(ids, {value = placer, type = {coding = {{system = V2_0203, code = "PLAC"}}}}) end
  if filler then add(ids, {value = filler, type = {coding = {{system = V2_0203, code = "FILL"}}}}) end
  r.identifier = nonempty(ids)
  local status = value(obr, "25")
  r.status = status and report_statuses[status:upper()] or "unknown"
  r.code = codeable_concept(obr, "4") or {text = "unknown"}
  r.subject = reference(patient_ref)
  local start, finish = v2.datetime(value(obr, "7.1"), zone), v2.datetime(value(obr, "8.1"), zone)
  if start and finish then
    r.effectivePeriod = {start = start, ["end"] = finish}
  else
    r.effectiveDateTime = start
  end
  local issued = v2.datetime(value(obr, "22.1"), zone)
  if issued and #issued > 10 then r.issued = issued end  -- an instant: only with a time and zone
  local results = {}
  for _, ref in ipairs(observation_refs or {}) do add(results, reference(ref)) end
  r.result = nonempty(results)
  return r
end

-- ---- the transaction Bundle ----

local supported = {["ADT^A01"] = "adt", ["ADT^A04"] = "adt", ["ADT^A08"] = "adt", ["ORU^R01"] = "oru"}

function v2.transaction(msg)
  local event = msg:get("MSH-9.1") .. "^" .. msg:get("MSH-9.2")
  local kind = supported[event]
  if kind == nil then
    error("v2.transaction: " .. (event ~= "^" and event or "a message without MSH-9") ..
          " is not supported (ADT^A01, ADT^A04, ADT^A08 and ORU^R01 are)", 2)
  end
  local patient = v2.patient(msg)
  local id = v2.patient_identifier(patient)
  if id == nil then
    error("v2.transaction: PID-3 has no identifier, which the Patient's conditional update needs", 2)
  end
  local search = "identifier=" .. (id.system and (url_encode(id.system) .. "|") or "") .. url_encode(id.value)
  local patient_ref = fhir.reference(patient)  -- its urn:uuid fullUrl
  local entries = {{fullUrl = patient_ref, resource = patient, request = {method = "PUT", url = "Patient?" .. search}}}
  if kind == "adt" then
    add(entries, v2.encounter(msg, patient_ref))
  else
    local zone = message_zone(msg)
    for _, group in ipairs(order_groups(msg)) do
      local refs = {}
      for _, obx in ipairs(group.obx) do
        local o = observation(obx, patient_ref, zone, group.obr)
        add(entries, o)
        add(refs, fhir.reference(o))  -- its urn:uuid fullUrl
      end
      if group.obr then add(entries, v2.diagnostic_report(msg, patient_ref, refs, group.obr_index)) end
    end
  end
  return fhir.bundle("transaction", entries)
end

return v2
