// GET /api/alerts: the alert rules as configured, each rule's state on each
// channel now, and the recent events with what became of their notifications.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "alerts/alert_runner.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_alerts(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/alerts", Access::at_least(Role::viewer),
      [&context](const HttpRequest&, const Principal&) {
        boost::json::array rules, status, events;
        if (AlertRunner* alerts = context.alerts) {
          for (const auto& rule : alerts->config().rules) {
            boost::json::array notify;
            for (const auto& target : rule.notify) notify.push_back(boost::json::string(target));
            rules.push_back(boost::json::object{
                {"name", rule.name},
                {"channel", rule.channel},
                {"condition", std::string(to_string(rule.condition.kind))},
                {"threshold", rule.condition.count},
                {"window_ms", rule.condition.window.count()},
                {"hold_ms", rule.hold.count()},
                {"quiet_period_ms", rule.quiet_period.count()},
                {"notify", std::move(notify)}});
          }
          for (const auto& s : alerts->status())
            status.push_back(boost::json::object{{"rule", s.rule},
                                                 {"channel", s.channel},
                                                 {"condition", s.condition},
                                                 {"firing", s.firing},
                                                 {"since_ms", s.since_ms},
                                                 {"value", s.value},
                                                 {"threshold", s.threshold},
                                                 {"reason", s.reason},
                                                 {"last_notified_ms", s.last_notified_ms}});
          for (const auto& e : alerts->recent()) {
            boost::json::array deliveries;
            for (const auto& d : e.deliveries)
              deliveries.push_back(boost::json::object{
                  {"target", d.target}, {"type", d.type}, {"ok", d.ok}, {"attempts", d.attempts}, {"error", d.error}});
            events.push_back(boost::json::object{{"id", e.id},
                                                 {"kind", e.kind},
                                                 {"rule", e.rule},
                                                 {"channel", e.channel},
                                                 {"condition", e.condition},
                                                 {"reason", e.reason},
                                                 {"value", e.value},
                                                 {"threshold", e.threshold},
                                                 {"at_ms", e.at_ms},
                                                 {"delivery", e.delivery},
                                                 {"deliveries", std::move(deliveries)}});
          }
        }
        return json_ok(boost::json::serialize(
            boost::json::object{{"rules", std::move(rules)}, {"status", std::move(status)}, {"events", std::move(events)}}));
      },
      {"Alert rules, each rule's state per channel, and the recent events (newest first) with their notifications",
       "alerts", {}, "",
       R"({"type":"object","properties":{
"rules":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"channel":{"type":"string"},"condition":{"type":"string"},"threshold":{"type":"integer"},"window_ms":{"type":"integer"},"hold_ms":{"type":"integer"},"quiet_period_ms":{"type":"integer"},"notify":{"type":"array","items":{"type":"string"}}}}},
"status":{"type":"array","items":{"type":"object","properties":{"rule":{"type":"string"},"channel":{"type":"string"},"condition":{"type":"string"},"firing":{"type":"boolean"},"since_ms":{"type":"integer"},"value":{"type":"integer"},"threshold":{"type":"integer"},"reason":{"type":"string"},"last_notified_ms":{"type":"integer"}}}},
"events":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"kind":{"type":"string","enum":["fired","resolved","reload_failed"]},"rule":{"type":"string"},"channel":{"type":"string"},"condition":{"type":"string"},"reason":{"type":"string"},"value":{"type":"integer"},"threshold":{"type":"integer"},"at_ms":{"type":"integer"},"delivery":{"type":"string"},"deliveries":{"type":"array","items":{"type":"object"}}}}}}})",
       "application/json", {}});
}

}  // namespace artery::admin
