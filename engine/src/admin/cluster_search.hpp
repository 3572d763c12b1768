// Message search and detail across the cluster (docs/cluster.md): each node
// keeps its own messages in its own store, so GET /api/messages?scope=cluster
// asks every node over the cluster bus (request/reply), merges the answers
// newest first, and says which node each message is on and which nodes did
// not answer in time; GET /api/messages/{id}?node=NAME reads one message on
// another node.
//
// Access control and audit stay with the node the user asked: it checks
// the role (viewer to search, operator for content) before anything goes
// on the bus, and tells the other node whether content may be returned. The
// answering node trusts that, because only engine nodes may use the bus (the
// NATS credentials of `cluster:`, which already carry every message of a
// clustered channel through JetStream), and records the view in its own
// audit log too, naming the user and the node that asked.
#pragma once
#include "admin/principal.hpp"

#include <artery/http_message.hpp>

#include <cstdint>
#include <string>

namespace artery::admin {

struct AdminContext;

// Starts answering the other nodes' search and detail requests (kept in
// context.cluster_responders, so they stop with the admin API).
void serve_cluster_messages(AdminContext& context);

// GET /api/messages?scope=cluster[&cursor=...&timeout=ms]
HttpResponse cluster_search(AdminContext& context, const HttpRequest& request, const Principal& who);

// GET /api/messages/{id}?node=NAME for a NAME that is not this node.
HttpResponse cluster_message(AdminContext& context, const HttpRequest& request, const Principal& who,
                             const std::string& node, std::int64_t id);

}  // namespace artery::admin
