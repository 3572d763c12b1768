// A reload's outcome as the API shows it (POST|GET /api/reload,
// POST /api/plugins/reload) and `artery reload` reads it.
#pragma once
#include <boost/json/object.hpp>

#include <string>

namespace artery {
struct ReloadOutcome;
}

namespace artery::admin {

boost::json::object reload_outcome_json(const ReloadOutcome& outcome);
// The OpenAPI schema of reload_outcome_json.
extern const char* const kReloadOutcomeSchema;

}  // namespace artery::admin
