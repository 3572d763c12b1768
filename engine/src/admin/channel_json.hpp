// A channel as the API shows it: the same JSON in GET /api/channels, in
// GET /api/channels/{name} and in every server-sent stats event, so the
// console reads one shape everywhere.
#pragma once
#include <boost/json/object.hpp>

namespace artery {
struct ChannelSnapshot;
struct Counters;
}

namespace artery::admin {

boost::json::object counters_json(const Counters& counters);
// name, description, file, source, state, reason, counters, destinations[]
// (name, type, counters); with `connectors`, each connector's counters too.
boost::json::object channel_json(const ChannelSnapshot& channel, bool connectors);

}  // namespace artery::admin
