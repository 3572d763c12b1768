-- research-feed, channel script: keeps ORU^R01 results and de-identifies them
-- with the profile beside this script (research_feed_profile.yaml). The
-- output file is named by the patient's pseudonym and the message's, so
-- neither the MRN nor the control id reaches the research folder.
local M = {}

-- Compiled at the first message, not at load: `artery validate` needs no key,
-- and a missing key fails each message (ERROR, kept for reprocessing) with
-- the reason instead of writing anything.
local profile

function M.filter(msg, ctx)
  return msg:get("MSH-9.1") == "ORU" and (msg:get("MSH-9.2") == "R01" or msg:get("MSH-9.2") == "")
end

function M.transform(msg, ctx)
  profile = profile or deid.profile("research_feed_profile.yaml")
  local text = assert(deid.hl7(msg, profile))
  local clean = assert(hl7.parse(text))
  local patient = clean:get("PID-3.1")
  ctx.vars.research_id = patient ~= "" and patient or "no-patient"
  ctx.vars.message_id = clean:get("MSH-10") ~= "" and clean:get("MSH-10") or uuid.v4()
  return text
end

return M
