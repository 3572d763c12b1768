#include "alerts/alert_notification.hpp"

#include "json/json_string.hpp"

#include <cstdio>
#include <ctime>

namespace artery {

std::string iso_time_ms(std::int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
  return buffer;
}

std::string alert_json(const AlertEvent& event) {
  std::string out = "{\"event\":";
  append_json_string(out, event.kind);
  auto field = [&](const char* name, const std::string& value) {
    out += ",\"";
    out += name;
    out += "\":";
    append_json_string(out, value);
  };
  field("rule", event.rule);
  field("channel", event.channel);
  field("condition", event.condition);
  field("reason", event.reason);
  out += ",\"value\":" + std::to_string(event.value);
  out += ",\"threshold\":" + std::to_string(event.threshold);
  field("at", iso_time_ms(event.at_ms));
  out += ",\"at_ms\":" + std::to_string(event.at_ms);
  out += ",\"id\":" + std::to_string(event.id);
  out += ",\"engine\":\"artery\"}";
  return out;
}

std::string alert_text(const AlertEvent& event) {
  std::string out = event.kind == "fired" ? "Alert FIRED" : "Alert RESOLVED";
  out += ": rule " + event.rule + " on channel " + event.channel + "\n\n";
  out += event.reason + "\n\n";
  out += "condition: " + event.condition + "\n";
  out += "at: " + iso_time_ms(event.at_ms) + "\n";
  if (event.kind == "fired")
    out += "\nA \"resolved\" message follows when the condition clears.\n";
  return out;
}

std::map<std::string, std::string> alert_vars(const AlertEvent& event) {
  std::string upper = event.kind == "fired" ? "FIRED" : "RESOLVED";
  return {{"event", upper},
          {"rule", event.rule},
          {"channel", event.channel},
          {"condition", event.condition},
          {"reason", event.reason},
          {"value", std::to_string(event.value)},
          {"threshold", std::to_string(event.threshold)},
          {"at", iso_time_ms(event.at_ms)},
          {"id", std::to_string(event.id)},
          {"text", alert_text(event)},
          {"json", alert_json(event)}};
}

}  // namespace artery
