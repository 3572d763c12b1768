-- The demo EPR answering in TPP's element names (Functions/Function; errors
-- as <ErrorMessage>/<PermanentError> inside <Response>), as SystmOne does.
-- Use it with the source's `error_style: tpp`:
--   source: {type: systemone, ..., error_style: tpp}
--   script: ../scripts/systemone_epr_tpp.lua
-- The EPR itself: scripts/lib/epr/epr_service.lua.
return require("epr.epr_service").new("tpp")
