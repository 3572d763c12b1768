// GET /api/events: server-sent events for the console. One `stats` event a
// second with every channel's state, counters and msg/s since the previous
// event; the browser's EventSource reconnects by itself. Each stream is a
// sampler listener, so a thousand dashboards cost one registry pass a second.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/channel_json.hpp"
#include "admin/stats_sampler.hpp"

#include <boost/json.hpp>

#include <memory>
#include <mutex>

namespace artery::admin {
namespace {

// Per stream: the previous sample, to turn counters into rates.
struct StreamState {
  std::mutex mutex;
  std::int64_t last_ms = 0;
  std::map<std::string, Counters> last;
};

std::string stats_event(const StatsSample& sample, StreamState& state) {
  std::lock_guard lock(state.mutex);
  const double seconds = state.last_ms ? std::max<std::int64_t>(sample.at_ms - state.last_ms, 1) / 1000.0 : 0.0;
  boost::json::array channels;
  for (const auto& channel : sample.channels) {
    auto json = channel_json(channel, false);
    json.erase("description");
    json.erase("file");
    double received = 0, sent = 0, errored = 0;
    if (auto it = state.last.find(channel.name); it != state.last.end() && seconds > 0) {
      received = std::max<std::int64_t>(channel.counters.received - it->second.received, 0) / seconds;
      sent = std::max<std::int64_t>(channel.counters.sent - it->second.sent, 0) / seconds;
      errored = std::max<std::int64_t>(channel.counters.errored - it->second.errored, 0) / seconds;
    }
    json["rates"] = {{"received_per_second", received}, {"sent_per_second", sent}, {"errored_per_second", errored}};
    channels.push_back(std::move(json));
    state.last[channel.name] = channel.counters;
  }
  state.last_ms = sample.at_ms;
  return boost::json::serialize(boost::json::object{{"at_ms", sample.at_ms}, {"channels", std::move(channels)}});
}

}  // namespace

void register_events(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/events", Access::at_least(Role::viewer),
      [&context](const HttpRequest&, const Principal&) {
        return HttpResponse::event_stream([&context](std::shared_ptr<HttpStreamWriter> writer) {
          auto state = std::make_shared<StreamState>();
          if (auto latest = context.stats.latest()) writer->send_event(stats_event(*latest, *state), "stats");
          std::weak_ptr<HttpStreamWriter> weak = writer;
          const auto id = context.stats.subscribe([weak, state](const StatsSample& sample) {
            if (auto stream = weak.lock()) stream->send_event(stats_event(sample, *state), "stats");
          });
          writer->on_close([&context, id] { context.stats.unsubscribe(id); });
        });
      },
      {"Server-sent events: a `stats` event a second with every channel's state, counters and msg/s", "channels",
       {}, "", R"({"type":"string","description":"text/event-stream; each event's data is {at_ms, channels:[Channel with rates]}"})",
       "text/event-stream", {}});
}

}  // namespace artery::admin
