#include "admin/channel_json.hpp"

#include "control/channel_registry.hpp"

#include <boost/json.hpp>

namespace artery::admin {

boost::json::object counters_json(const Counters& c) {
  return {{"received", c.received}, {"filtered", c.filtered}, {"queued", c.queued}, {"sent", c.sent},
          {"errored", c.errored}};
}

namespace {

boost::json::object connector_json(const ChannelRuntime::ConnectorMetricsEntry& entry) {
  const auto& m = entry.metrics;
  boost::json::object errors;
  for (std::size_t i = 0; i < kConnectorErrorKinds; ++i)
    if (m.errors[i] > 0) errors[to_string(static_cast<ConnectorError>(i))] = m.errors[i];
  return {{"connector", entry.connector},
          {"bytes_in", m.bytes_in},
          {"bytes_out", m.bytes_out},
          {"connections_open", m.connections_open},
          {"connections_total", m.connections_total},
          {"connections_refused", m.connections_refused},
          {"connections_evicted", m.connections_evicted},
          {"requests", m.requests},
          {"errors", std::move(errors)}};
}

}  // namespace

boost::json::object channel_json(const ChannelSnapshot& channel, bool connectors) {
  boost::json::array destinations;
  for (const auto& dest : channel.destinations)
    destinations.push_back(
        boost::json::object{{"name", dest.name}, {"type", dest.type}, {"counters", counters_json(dest.counters)}});
  boost::json::object out{{"name", channel.name},
                          {"description", channel.description},
                          {"file", channel.file.string()},
                          {"source", channel.source_type},
                          {"state", std::string(to_string(channel.state))},
                          {"reason", channel.reason},
                          {"counters", counters_json(channel.counters)},
                          {"destinations", std::move(destinations)}};
  // The last hot reload that concerned the channel (null: none in this run).
  if (channel.last_reload)
    out["last_reload"] = boost::json::object{
        {"at", channel.last_reload->at_ms}, {"ok", channel.last_reload->ok}, {"error", channel.last_reload->error}};
  else
    out["last_reload"] = nullptr;
  if (connectors) {
    boost::json::array list;
    for (const auto& entry : channel.connectors) list.push_back(connector_json(entry));
    out["connectors"] = std::move(list);
  }
  return out;
}

}  // namespace artery::admin
