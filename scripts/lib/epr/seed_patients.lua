-- Ten synthetic patients for the demo EPR. Nobody here is real:
--   * NHS numbers come from the 999 range NHS England keeps for testing
--     (check digit computed at seeding);
--   * telephone numbers are from Ofcom's drama ranges (01632 960xxx, 07700 900xxx);
--   * e-mail addresses use example.com / example.org;
--   * streets are invented, towns and postcode districts are real places.
-- Clinical codes are SNOMED CT (and CTV3 where known) as used in UK primary
-- care; drug ProductIDs are synthetic, for illustration only.
local M = {}

-- Problems: SNOMED CT and, where known, CTV3.
local CONDITIONS = {
  diabetes = { snomed = "44054006", ctv3 = "X40J5", term = "Type 2 diabetes mellitus" },
  hypertension = { snomed = "38341003", ctv3 = "XE0Ub", term = "Hypertension" },
  asthma = { snomed = "195967001", ctv3 = "H33..", term = "Asthma" },
  hypothyroidism = { snomed = "40930008", term = "Hypothyroidism" },
  af = { snomed = "49436004", term = "Atrial fibrillation" },
  gord = { snomed = "235595009", ctv3 = "X3003", term = "Gastro-oesophageal reflux disease" },
  depression = { snomed = "35489007", term = "Depressive disorder" },
  ckd3 = { snomed = "433144002", term = "Chronic kidney disease stage 3" },
  copd = { snomed = "13645005", term = "Chronic obstructive pulmonary disease" },
  cholesterol = { snomed = "13644009", term = "Hypercholesterolaemia" },
  knee_oa = { snomed = "239873007", term = "Osteoarthritis of knee" },
}

-- dm+d-style product names with a typical dose and pack.
local DRUGS = {
  metformin = { name = "Metformin 500mg tablets", id = "3182611", dose = "One tablet twice a day with meals", quantity = "112 tablet" },
  gliclazide = { name = "Gliclazide 80mg tablets", id = "3184711", dose = "One tablet in the morning", quantity = "56 tablet" },
  atorvastatin = { name = "Atorvastatin 20mg tablets", id = "3110211", dose = "One tablet at night", quantity = "28 tablet" },
  ramipril = { name = "Ramipril 5mg capsules", id = "3172411", dose = "One capsule daily", quantity = "28 capsule" },
  amlodipine = { name = "Amlodipine 5mg tablets", id = "3105611", dose = "One tablet daily", quantity = "28 tablet" },
  levothyroxine = { name = "Levothyroxine sodium 75microgram tablets", id = "3160911", dose = "One tablet in the morning before food", quantity = "28 tablet" },
  salbutamol = { name = "Salbutamol 100micrograms/dose inhaler CFC free", id = "3176811", dose = "Two puffs when required", quantity = "1 inhaler" },
  beclometasone = { name = "Beclometasone 100micrograms/dose inhaler CFC free", id = "3114311", dose = "Two puffs twice a day", quantity = "1 inhaler" },
  omeprazole = { name = "Omeprazole 20mg gastro-resistant capsules", id = "3166711", dose = "One capsule daily", quantity = "28 capsule" },
  sertraline = { name = "Sertraline 50mg tablets", id = "3179111", dose = "One tablet daily", quantity = "28 tablet" },
  apixaban = { name = "Apixaban 5mg tablets", id = "3107911", dose = "One tablet twice a day", quantity = "56 tablet" },
  bisoprolol = { name = "Bisoprolol 2.5mg tablets", id = "3117311", dose = "One tablet daily", quantity = "28 tablet" },
  tiotropium = { name = "Tiotropium bromide 2.5micrograms/dose solution for inhalation cartridge", id = "3192811", dose = "Two puffs once a day", quantity = "1 cartridge" },
  paracetamol = { name = "Paracetamol 500mg tablets", id = "3168011", dose = "One or two tablets up to four times a day when required", quantity = "100 tablet" },
  naproxen = { name = "Naproxen 250mg tablets", id = "3163811", dose = "One tablet twice a day with food", quantity = "56 tablet" },
}

-- Pathology tests: SNOMED CT observables, units and the reference range.
local TESTS = {
  hba1c = { snomed = "999791000000106", ctv3 = "XaPbt", term = "Haemoglobin A1c level - IFCC standardised", units = "mmol/mol", low = 20, high = 41 },
  egfr = { snomed = "1011481000000105", term = "eGFR using creatinine (CKD-EPI) per 1.73 square metres", units = "mL/min/1.73m2", low = 90 },
  creatinine = { snomed = "1000731000000107", term = "Serum creatinine level", units = "umol/L", low = 59, high = 104 },
  potassium = { snomed = "1000651000000109", term = "Serum potassium level", units = "mmol/L", low = 3.5, high = 5.3 },
  sodium = { snomed = "1000661000000107", term = "Serum sodium level", units = "mmol/L", low = 133, high = 146 },
  haemoglobin = { snomed = "1022431000000105", term = "Haemoglobin estimation", units = "g/L", low = 115, high = 165 },
  wbc = { snomed = "1022541000000102", term = "Total white cell count", units = "10*9/L", low = 4.0, high = 11.0 },
  platelets = { snomed = "1022651000000100", term = "Platelet count", units = "10*9/L", low = 150, high = 400 },
  cholesterol = { snomed = "1005671000000105", term = "Serum cholesterol level", units = "mmol/L", high = 5.0 },
  tsh = { snomed = "1022791000000101", term = "Serum TSH level", units = "mU/L", low = 0.27, high = 4.2 },
}

-- The panels a request form orders together (one pathology event each).
local PANELS = {
  FBC = { "haemoglobin", "wbc", "platelets" },
  ["U&E"] = { "sodium", "potassium", "creatinine", "egfr" },
  HbA1c = { "hba1c" },
  Lipids = { "cholesterol" },
  TFT = { "tsh" },
}
M.CONDITIONS, M.DRUGS, M.TESTS, M.PANELS = CONDITIONS, DRUGS, TESTS, PANELS

local CLINICIANS = {
  patel = { user = "apatel1204", name = "PATEL, Anita (General Medical Practitioner)" },
  okafor = { user = "cokafor0811", name = "OKAFOR, Chidi (General Medical Practitioner)" },
  hughes = { user = "rhughes0307", name = "HUGHES, Rhian (Practice Nurse)" },
  macleod = { user = "smacleod2102", name = "MACLEOD, Stuart (Clinical Pharmacist)" },
}
M.CLINICIANS = CLINICIANS

-- Each entry: the nine-digit NHS-number stem, demographics, and clinical
-- history in compact form (expanded into events by the seeder).
M.PATIENTS = {
  {
    stem = "999000018",
    demographics = {
      Title = "Mrs", FirstName = "Margaret", MiddleNames = "Eileen", Surname = "Thornton", DateOfBirth = "1948-03-14", Sex = "F",
      Address = { HouseNumber = "12", Road = "Beech Grove", Town = "Harrogate", County = "North Yorkshire", Postcode = "HG2 0LT" },
      HomeTelephone = "01632 960112", MobileTelephone = "07700 900112", EmailAddress = "margaret.thornton@example.com",
      SMSConsent = "Yes", UsualGPUserName = "apatel1204", CareStartDate = "1994-06-01", RegistrationType = "Regular",
    },
    problems = { { "diabetes", "2012-05-09" }, { "hypertension", "2009-11-23" } },
    medication = { { "metformin", "2025-09-02", "patel" }, { "ramipril", "2025-09-02", "patel" }, { "atorvastatin", "2025-09-02", "patel" } },
    results = {
      { "HbA1c", "2025-08-28T09:12:00", { hba1c = 58 } },
      { "U&E", "2025-08-28T09:12:00", { sodium = 139, potassium = 4.6, creatinine = 88, egfr = 61 } },
      { "Lipids", "2025-08-28T09:12:00", { cholesterol = 4.1 } },
    },
    appointments = {
      { "2025-08-28T09:10:00", 10, "hughes", "Bloods and diabetes review", "Finished" },
      { "2025-09-02T10:30:00", 10, "patel", "GP appointment", "Finished" },
      { "2026-03-03T09:20:00", 20, "hughes", "Diabetes annual review", "Booked" },
    },
  },
  {
    stem = "999000025",
    demographics = {
      Title = "Mr", FirstName = "David", MiddleNames = "Arthur", Surname = "Evans", DateOfBirth = "1957-11-02", Sex = "M",
      Address = { HouseNumber = "4", Road = "Heol y Nant", Locality = "Whitchurch", Town = "Cardiff", County = "South Glamorgan", Postcode = "CF14 1JR" },
      HomeTelephone = "01632 960245", MobileTelephone = "07700 900245", EmailAddress = "d.evans@example.org",
      SMSConsent = "Yes", UsualGPUserName = "cokafor0811", CareStartDate = "2003-02-17", RegistrationType = "Regular",
    },
    problems = { { "af", "2019-04-15" }, { "hypertension", "2015-07-01" } },
    medication = { { "apixaban", "2025-10-06", "okafor" }, { "bisoprolol", "2025-10-06", "okafor" }, { "amlodipine", "2025-10-06", "okafor" } },
    results = {
      { "FBC", "2025-09-30T08:45:00", { haemoglobin = 148, wbc = 6.2, platelets = 231 } },
      { "U&E", "2025-09-30T08:45:00", { sodium = 141, potassium = 4.2, creatinine = 97, egfr = 74 } },
    },
    appointments = {
      { "2025-09-30T08:40:00", 10, "hughes", "Phlebotomy", "Finished" },
      { "2025-10-06T11:00:00", 10, "okafor", "Anticoagulation review", "Finished" },
      { "2026-04-14T11:10:00", 10, "okafor", "Medication review", "Booked" },
    },
  },
  {
    stem = "999000032",
    demographics = {
      Title = "Ms", FirstName = "Priya", Surname = "Sharma", DateOfBirth = "1986-07-21", Sex = "F",
      Address = { HouseName = "Flat 3", HouseNumber = "27", Road = "Wilmslow Road", Locality = "Rusholme", Town = "Manchester", County = "Greater Manchester", Postcode = "M14 5TQ" },
      MobileTelephone = "07700 900328", EmailAddress = "priya.sharma@example.com",
      SMSConsent = "Yes", UsualGPUserName = "apatel1204", CareStartDate = "2014-09-08", RegistrationType = "Regular",
    },
    problems = { { "asthma", "1995-02-10" } },
    medication = { { "salbutamol", "2025-11-12", "patel" }, { "beclometasone", "2025-11-12", "patel" } },
    results = { { "FBC", "2025-06-19T10:05:00", { haemoglobin = 109, wbc = 7.9, platelets = 288 } } },
    appointments = {
      { "2025-06-19T10:00:00", 10, "hughes", "Phlebotomy", "Finished" },
      { "2025-11-12T16:40:00", 15, "hughes", "Asthma review", "Did Not Attend" },
      { "2026-02-24T14:20:00", 15, "hughes", "Asthma review", "Booked" },
    },
  },
  {
    stem = "999000039",
    demographics = {
      Title = "Mr", FirstName = "Callum", Surname = "MacDonald", DateOfBirth = "1972-01-30", Sex = "M",
      Address = { HouseNumber = "88", Road = "Dalkeith Road", Town = "Edinburgh", County = "Midlothian", Postcode = "EH16 5AE" },
      HomeTelephone = "01632 960395", MobileTelephone = "07700 900395",
      SMSConsent = "No", UsualGPUserName = "cokafor0811", CareStartDate = "2011-04-04", RegistrationType = "Regular",
    },
    problems = { { "gord", "2018-03-12" }, { "cholesterol", "2021-06-30" } },
    medication = { { "omeprazole", "2025-07-21", "okafor" }, { "atorvastatin", "2025-07-21", "macleod" } },
    results = {
      { "Lipids", "2025-07-14T09:30:00", { cholesterol = 5.6 } },
      { "U&E", "2025-07-14T09:30:00", { sodium = 138, potassium = 3.9, creatinine = 79, egfr = 95 } },
    },
    appointments = {
      { "2025-07-14T09:25:00", 10, "hughes", "Phlebotomy", "Finished" },
      { "2025-07-21T15:10:00", 10, "macleod", "Statin review", "Finished" },
    },
  },
  {
    stem = "999000046",
    demographics = {
      Title = "Mrs", FirstName = "Aisha", Surname = "Okonkwo", DateOfBirth = "1964-05-08", Sex = "F",
      Address = { HouseNumber = "153", Road = "Coldharbour Lane", Locality = "Brixton", Town = "London", Postcode = "SE5 9NY" },
      HomeTelephone = "01632 960468", MobileTelephone = "07700 900468", EmailAddress = "aisha.okonkwo@example.org",
      SMSConsent = "Yes", UsualGPUserName = "apatel1204", CareStartDate = "1999-10-11", RegistrationType = "Regular",
    },
    problems = { { "diabetes", "2016-01-20" }, { "ckd3", "2022-08-03" }, { "hypertension", "2016-01-20" } },
    medication = {
      { "metformin", "2025-10-20", "patel" }, { "gliclazide", "2025-10-20", "patel" },
      { "ramipril", "2025-10-20", "patel" }, { "atorvastatin", "2025-10-20", "patel" },
    },
    results = {
      { "HbA1c", "2025-10-13T08:50:00", { hba1c = 71 } },
      { "U&E", "2025-10-13T08:50:00", { sodium = 136, potassium = 5.5, creatinine = 131, egfr = 41 } },
      { "FBC", "2025-10-13T08:50:00", { haemoglobin = 112, wbc = 8.4, platelets = 302 } },
    },
    appointments = {
      { "2025-10-13T08:45:00", 10, "hughes", "Bloods", "Finished" },
      { "2025-10-20T12:00:00", 15, "patel", "Diabetes and kidney review", "Finished" },
      { "2026-01-19T12:00:00", 15, "patel", "Follow-up: potassium", "Booked" },
    },
  },
  {
    stem = "999000053",
    demographics = {
      Title = "Mr", FirstName = "Thomas", MiddleNames = "James", Surname = "Wright", DateOfBirth = "1939-09-17", Sex = "M",
      Address = { HouseName = "Rose Cottage", Road = "Church Lane", Locality = "Heacham", Town = "King's Lynn", County = "Norfolk", Postcode = "PE31 7HJ" },
      HomeTelephone = "01632 960530",
      SMSConsent = "No", UsualGPUserName = "cokafor0811", CareStartDate = "1987-05-26", RegistrationType = "Regular",
    },
    problems = { { "copd", "2008-12-01" }, { "knee_oa", "2014-03-18" } },
    medication = { { "tiotropium", "2025-11-03", "okafor" }, { "salbutamol", "2025-11-03", "okafor" }, { "paracetamol", "2025-08-11", "okafor" } },
    results = { { "FBC", "2025-10-27T11:20:00", { haemoglobin = 136, wbc = 11.8, platelets = 266 } } },
    appointments = {
      { "2025-10-27T11:15:00", 20, "okafor", "Home visit", "Finished" },
      { "2025-11-03T09:00:00", 20, "hughes", "COPD review", "Finished" },
      { "2026-05-05T09:00:00", 20, "hughes", "COPD review", "Booked" },
    },
  },
  {
    stem = "999000060",
    demographics = {
      Title = "Miss", FirstName = "Chloe", Surname = "O'Brien", KnownAs = "Clo", DateOfBirth = "2001-12-03", Sex = "F",
      Address = { HouseNumber = "9", Road = "Lisburn Road", Town = "Belfast", County = "County Antrim", Postcode = "BT9 6AA" },
      MobileTelephone = "07700 900603", EmailAddress = "chloe.obrien@example.com",
      SMSConsent = "Yes", UsualGPUserName = "apatel1204", CareStartDate = "2020-09-21", RegistrationType = "Regular",
    },
    problems = { { "depression", "2023-02-14" } },
    medication = { { "sertraline", "2025-12-01", "patel" } },
    results = { { "TFT", "2025-01-22T09:40:00", { tsh = 1.9 } } },
    appointments = {
      { "2025-12-01T17:20:00", 10, "patel", "Telephone consultation", "Finished" },
      { "2026-01-12T17:20:00", 10, "patel", "Mental health review", "Booked" },
    },
  },
  {
    stem = "999000067",
    demographics = {
      Title = "Mr", FirstName = "Mohammed", Surname = "Hussain", DateOfBirth = "1979-04-26", Sex = "M",
      Address = { HouseNumber = "61", Road = "Stratford Road", Locality = "Sparkhill", Town = "Birmingham", County = "West Midlands", Postcode = "B11 4EA" },
      HomeTelephone = "01632 960670", MobileTelephone = "07700 900670", EmailAddress = "m.hussain@example.com",
      SMSConsent = "Yes", UsualGPUserName = "cokafor0811", CareStartDate = "2008-07-14", RegistrationType = "Regular",
    },
    problems = { { "diabetes", "2020-10-05" } },
    medication = { { "metformin", "2025-06-09", "macleod" } },
    results = {
      { "HbA1c", "2025-06-02T08:30:00", { hba1c = 49 } },
      { "Lipids", "2025-06-02T08:30:00", { cholesterol = 4.8 } },
    },
    appointments = {
      { "2025-06-02T08:25:00", 10, "hughes", "Bloods", "Finished" },
      { "2025-06-09T13:40:00", 15, "macleod", "Diabetes medication review", "Finished" },
    },
  },
  {
    stem = "999000074",
    demographics = {
      Title = "Dr", FirstName = "Eleanor", Surname = "Fitzgerald", DateOfBirth = "1953-08-11", Sex = "F",
      Address = { HouseNumber = "22", Road = "Clifton Park Road", Locality = "Clifton", Town = "Bristol", Postcode = "BS8 3HL" },
      HomeTelephone = "01632 960743", EmailAddress = "eleanor.fitzgerald@example.org",
      SMSConsent = "No", UsualGPUserName = "apatel1204", CareStartDate = "1990-01-08", RegistrationType = "Regular",
    },
    problems = { { "hypothyroidism", "2004-09-27" }, { "knee_oa", "2019-05-13" } },
    medication = { { "levothyroxine", "2025-09-15", "patel" }, { "naproxen", "2025-03-10", "patel" } },
    results = {
      { "TFT", "2025-09-08T10:10:00", { tsh = 5.7 } },
      { "U&E", "2025-09-08T10:10:00", { sodium = 140, potassium = 4.4, creatinine = 72, egfr = 78 } },
    },
    appointments = {
      { "2025-09-08T10:05:00", 10, "hughes", "Phlebotomy", "Finished" },
      { "2025-09-15T09:40:00", 10, "patel", "Thyroid review", "Finished" },
      { "2026-03-16T09:40:00", 10, "patel", "Thyroid review", "Booked" },
    },
  },
  {
    stem = "999000081",
    demographics = {
      Title = "Mr", FirstName = "Jack", Surname = "Robinson", DateOfBirth = "1995-02-18", Sex = "M",
      Address = { HouseNumber = "5", Road = "Jesmond Vale Terrace", Locality = "Heaton", Town = "Newcastle upon Tyne", County = "Tyne and Wear", Postcode = "NE6 5JT" },
      MobileTelephone = "07700 900816", EmailAddress = "jack.robinson@example.com",
      SMSConsent = "Yes", UsualGPUserName = "cokafor0811", CareStartDate = "2017-09-25", RegistrationType = "Temporary",
    },
    problems = { { "asthma", "2002-06-04" } },
    medication = { { "salbutamol", "2025-04-28", "okafor" } },
    results = {},
    appointments = {
      { "2025-04-28T12:10:00", 10, "okafor", "GP appointment", "Finished" },
    },
  },
}

return M
