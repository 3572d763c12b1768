-- A demo EPR behind the systemone source, answering in the shapes the EPR's
-- own documentation shows (functions/Item/name, root-level <Error>true</Error>):
-- the channel's default, paired with the source's `error_style: simple`.
-- For TPP's element names use systemone_epr_tpp.lua with `error_style: tpp`.
-- The EPR itself: scripts/lib/epr/epr_service.lua.
return require("epr.epr_service").new("epr")
