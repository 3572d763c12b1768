#include "admin/reload_json.hpp"

#include "reload/reload_outcome.hpp"

#include <boost/json.hpp>

namespace artery::admin {

const char* const kReloadOutcomeSchema = R"({"type":"object","properties":{
"id":{"type":"integer"},"started_ms":{"type":"integer"},"finished_ms":{"type":"integer"},
"triggers":{"type":"array","items":{"type":"string"}},"ok":{"type":"boolean"},"error":{"type":"string"},
"unchanged":{"type":"integer"},"plugins":{"type":"string"},
"changes":{"type":"array","items":{"type":"object","properties":{"channel":{"type":"string"},"file":{"type":"string"},
"action":{"type":"string","enum":["deployed","redeployed","scripts reloaded","undeployed","restored","kept","not deployed"]},
"ok":{"type":"boolean"},"error":{"type":"string"}}}}}})";

boost::json::object reload_outcome_json(const ReloadOutcome& outcome) {
  boost::json::array triggers;
  for (const auto& trigger : outcome.triggers) triggers.push_back(boost::json::string(trigger));
  boost::json::array changes;
  for (const auto& change : outcome.changes)
    changes.push_back(boost::json::object{{"channel", change.channel},
                                          {"file", change.file},
                                          {"action", change.action},
                                          {"ok", change.ok},
                                          {"error", change.error}});
  return {{"id", outcome.id},
          {"started_ms", outcome.started_ms},
          {"finished_ms", outcome.finished_ms},
          {"triggers", std::move(triggers)},
          {"ok", outcome.ok},
          {"error", outcome.error},
          {"changes", std::move(changes)},
          {"unchanged", static_cast<std::int64_t>(outcome.unchanged)},
          {"plugins", outcome.plugins}};
}

}  // namespace artery::admin
