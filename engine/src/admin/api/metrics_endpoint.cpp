// GET /metrics: the engine in Prometheus's text format, fresh from the
// registry at each scrape (atomics only, so a scrape never waits for message
// processing). Every metric is listed with its labels in docs/operations.md.
//
// The channel's totals and its destinations' counts are two families, not
// one with destination="" rows: a channel's sent and errored already include
// its destinations', so one family would count them twice under sum().
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/process_stats.hpp"
#include "admin/prometheus_text.hpp"
#include "config/engine_config.hpp"
#include "control/channel_registry.hpp"

#include <artery/connector_metrics.hpp>
#include <artery/version.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <tuple>

namespace artery::admin {
namespace {

constexpr std::array<ChannelState, 6> kStates = {ChannelState::stopped,  ChannelState::starting,
                                                 ChannelState::started,  ChannelState::paused,
                                                 ChannelState::stopping, ChannelState::failed};
constexpr std::array<ConnectorError, kConnectorErrorKinds> kErrorKinds = {
    ConnectorError::protocol, ConnectorError::tls, ConnectorError::timeout, ConnectorError::io,
    ConnectorError::rejected};

std::uint64_t non_negative(std::int64_t value) { return value < 0 ? 0 : static_cast<std::uint64_t>(value); }

void channel_families(PrometheusText& out, const std::vector<ChannelSnapshot>& channels) {
  out.family("artery_channel_state", MetricType::gauge, "1 for the state the channel is in, 0 for the others");
  for (const auto& c : channels)
    for (auto state : kStates)
      out.sample({{"channel", c.name}, {"state", to_string(state)}}, std::int64_t{c.state == state ? 1 : 0});

  out.family("artery_channel_messages_total", MetricType::counter,
             "The channel's messages: received by its source; filtered and errored by its script or its "
             "destinations; sent by its destinations");
  for (const auto& c : channels) {
    const std::pair<const char*, std::int64_t> states[] = {{"received", c.counters.received},
                                                           {"filtered", c.counters.filtered},
                                                           {"sent", c.counters.sent},
                                                           {"errored", c.counters.errored}};
    for (const auto& [state, value] : states)
      out.sample({{"channel", c.name}, {"state", state}}, non_negative(value));
  }

  out.family("artery_messages_total", MetricType::counter,
             "Deliveries of each destination by outcome: sent, filtered by its script, errored (given up)");
  for (const auto& c : channels)
    for (const auto& d : c.destinations) {
      const std::pair<const char*, std::int64_t> states[] = {
          {"sent", d.counters.sent}, {"filtered", d.counters.filtered}, {"errored", d.counters.errored}};
      for (const auto& [state, value] : states)
        out.sample({{"channel", c.name}, {"destination", d.name}, {"state", state}}, non_negative(value));
    }

  out.family("artery_queue_depth", MetricType::gauge, "Deliveries waiting in the destination's queue");
  for (const auto& c : channels)
    for (const auto& d : c.destinations)
      out.sample({{"channel", c.name}, {"destination", d.name}}, non_negative(d.counters.queued));
}

void oldest_queued_family(PrometheusText& out, const std::vector<ChannelSnapshot>& channels,
                          const AdminContext& context) {
  if (!context.oldest_queued_s) return;  // not available from this store: no samples rather than wrong ones
  const auto ages = context.oldest_queued_s();
  out.family("artery_oldest_queued_seconds", MetricType::gauge,
             "Age of the channel's oldest delivery still queued; 0 when nothing is queued");
  for (const auto& c : channels) {
    auto it = ages.find(c.name);
    out.sample({{"channel", c.name}}, it == ages.end() ? std::int64_t{0} : std::max<std::int64_t>(0, it->second));
  }
}

void processing_family(PrometheusText& out, const std::vector<ChannelSnapshot>& channels) {
  static const auto bounds = [] {
    std::array<double, LatencyHistogram::kUpperBoundsNs.size()> seconds{};
    for (std::size_t i = 0; i < seconds.size(); ++i)
      seconds[i] = static_cast<double>(LatencyHistogram::kUpperBoundsNs[i]) / 1e9;
    return seconds;
  }();
  out.family("artery_processing_seconds", MetricType::histogram,
             "Time from the source handing a message to the channel until it is committed to the store "
             "(filter, transform, queueing for a worker, the commit); since the channel last started");
  for (const auto& c : channels)
    out.histogram({{"channel", c.name}}, bounds, c.processing.counts, static_cast<double>(c.processing.sum_ns) / 1e9);
}

void connector_families(PrometheusText& out, const std::vector<ChannelSnapshot>& channels) {
  using Field = std::uint64_t ConnectorMetricsSnapshot::*;
  const std::tuple<const char*, Field, const char*> counters[] = {
      {"artery_connector_bytes_received_total", &ConnectorMetricsSnapshot::bytes_in, "Bytes the connector read"},
      {"artery_connector_bytes_sent_total", &ConnectorMetricsSnapshot::bytes_out, "Bytes the connector wrote"},
      {"artery_connector_connections_total", &ConnectorMetricsSnapshot::connections_total,
       "Connections accepted (a source) or made (a destination)"},
      {"artery_connector_connections_refused_total", &ConnectorMetricsSnapshot::connections_refused,
       "Connections turned away (a source at its limit) or that failed to connect (a destination)"},
      {"artery_connector_connections_evicted_total", &ConnectorMetricsSnapshot::connections_evicted,
       "Idle connections closed to make room for new ones"},
      {"artery_connector_requests_total", &ConnectorMetricsSnapshot::requests,
       "Messages or requests the connector received (a source) or sent (a destination)"},
  };
  auto each = [&](auto&& write) {
    for (const auto& c : channels)
      for (const auto& entry : c.connectors) write(c, entry);
  };
  for (const auto& [name, field, help] : counters) {
    out.family(name, MetricType::counter, help);
    each([&, field = field](const ChannelSnapshot& c, const ChannelRuntime::ConnectorMetricsEntry& e) {
      out.sample({{"channel", c.name}, {"connector", e.connector}}, e.metrics.*field);
    });
  }
  out.family("artery_connector_connections_open", MetricType::gauge, "Connections open now");
  each([&](const ChannelSnapshot& c, const ChannelRuntime::ConnectorMetricsEntry& e) {
    out.sample({{"channel", c.name}, {"connector", e.connector}}, e.metrics.connections_open);
  });
  out.family("artery_connector_errors_total", MetricType::counter,
             "Connector failures by kind: protocol, tls, timeout, io, rejected");
  each([&](const ChannelSnapshot& c, const ChannelRuntime::ConnectorMetricsEntry& e) {
    for (auto kind : kErrorKinds)
      out.sample({{"channel", c.name}, {"connector", e.connector}, {"kind", to_string(kind)}},
                 e.metrics.errors_of(kind));
  });
}

void process_families(PrometheusText& out, const AdminContext& context) {
  const auto stats = read_process_stats();
  if (stats.resident_bytes) {
    out.family("process_resident_memory_bytes", MetricType::gauge, "Resident memory size in bytes");
    out.sample({}, *stats.resident_bytes);
  }
  if (stats.open_fds) {
    out.family("process_open_fds", MetricType::gauge, "Number of open file descriptors");
    out.sample({}, *stats.open_fds);
  }
  if (stats.max_fds) {
    out.family("process_max_fds", MetricType::gauge, "Maximum number of open file descriptors");
    out.sample({}, *stats.max_fds);
  }
  if (stats.cpu_seconds) {
    out.family("process_cpu_seconds_total", MetricType::counter, "User and system CPU time spent in seconds");
    out.sample({}, *stats.cpu_seconds);
  }
  if (stats.start_time_seconds) {
    out.family("process_start_time_seconds", MetricType::gauge, "Start time of the process since the Unix epoch");
    out.sample({}, *stats.start_time_seconds);
  }
  out.family("artery_uptime_seconds", MetricType::gauge, "Seconds since the engine's admin API started");
  out.sample({}, std::chrono::duration<double>(std::chrono::steady_clock::now() - context.started).count());
  out.family("artery_build_info", MetricType::gauge, "Always 1; the engine's version and plugin API as labels");
  out.sample({{"version", kEngineVersion},
              {"plugin_api", std::to_string(kApiMajor) + "." + std::to_string(kApiMinor)}},
             std::int64_t{1});
}

}  // namespace

void register_metrics(AdminRoutes& routes, AdminContext& context) {
  // Scrapers rarely log in: `metrics_public: true` in artery.yaml opens this
  // one endpoint (counters, no message content) to anyone who can reach it.
  const Access access = context.config.metrics_public ? Access::anyone() : Access::at_least(Role::viewer);
  routes.add(
      "GET", "/metrics", access,
      [&context](const HttpRequest&, const Principal&) {
        const auto channels = context.channels.snapshot();
        PrometheusText out;
        channel_families(out, channels);
        oldest_queued_family(out, channels, context);
        processing_family(out, channels);
        connector_families(out, channels);
        process_families(out, context);
        return HttpResponse::text(200, out.take(), PrometheusText::kContentType);
      },
      {"Prometheus metrics: channel and destination counters, queue depths, processing time, connector and "
       "process metrics (public when the engine config says metrics_public: true)",
       "metrics", {}, "", "", "text/plain", {}});
}

}  // namespace artery::admin
