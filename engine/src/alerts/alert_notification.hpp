// What a notification says: the JSON document a webhook target receives and
// the variables an email target's subject and body templates use.
#pragma once
#include "alerts/alert_event.hpp"

#include <map>
#include <string>

namespace artery {

// {"event":"fired","rule":...,"channel":...,"condition":...,"reason":...,
//  "value":12,"threshold":10,"at":"2026-03-01T12:00:00.000Z","at_ms":...,"id":...,"engine":"artery"}
std::string alert_json(const AlertEvent& event);
// A few lines of text for people.
std::string alert_text(const AlertEvent& event);
// event (FIRED | RESOLVED), rule, channel, condition, reason, value,
// threshold, at, id, text (alert_text) and json (alert_json).
std::map<std::string, std::string> alert_vars(const AlertEvent& event);
// ISO 8601 UTC with milliseconds.
std::string iso_time_ms(std::int64_t unix_ms);

}  // namespace artery
