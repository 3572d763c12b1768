// GET /api/health: public (load balancers and monitors call it without a
// login), so it names channels and reasons but never message content.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/health.hpp"
#include "store/message_store.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_health(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/health", Access::anyone(),
      [&context](const HttpRequest&, const Principal&) {
        HealthInputs inputs;
        auto latest = context.stats.latest();
        inputs.channels = latest ? latest->channels : context.channels.snapshot();
        inputs.recent = context.stats.rates(std::chrono::minutes(5));
        if (context.oldest_queued_s) inputs.oldest_queued_s = context.oldest_queued_s();
        auto verdict = assess_health(inputs);
        boost::json::array reasons;
        for (const auto& r : verdict.reasons)
          reasons.push_back(boost::json::object{
              {"level", std::string(to_string(r.level))}, {"channel", r.channel}, {"text", r.text}});
        const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                             context.started);
        boost::json::object body{{"status", std::string(to_string(verdict.status))},
                                 {"reasons", std::move(reasons)},
                                 {"channels", inputs.channels.size()},
                                 {"uptime_seconds", uptime.count()}};
        // A monitor that only reads the status code still sees a critical engine.
        return HttpResponse::json(verdict.status == Health::critical ? 503 : 200, boost::json::serialize(body));
      },
      {"healthy, degraded or critical, from recent error rates, queue depths and queue age, with the reasons",
       "engine",
       {},
       "",
       R"({"type":"object","properties":{"status":{"type":"string","enum":["healthy","degraded","critical"]},
"reasons":{"type":"array","items":{"type":"object","properties":{"level":{"type":"string"},"channel":{"type":"string"},"text":{"type":"string"}}}},
"channels":{"type":"integer"},"uptime_seconds":{"type":"integer"}}})",
       "application/json",
       {503}});
}

}  // namespace artery::admin
