// A reload issued on one node for the whole cluster (docs/cluster.md,
// Deploys): POST /api/reload?scope=cluster asks every live node over the
// cluster bus to reload its own copy of the channel files (the folder, or
// one channel) and answers with each node's outcome. The files themselves
// never cross the bus: each node reads its own checkout or the shared
// volume, so this is what a watcher that cannot see the change (a network
// file system, a pull without inotify events) needs, not a way to send
// definitions.
#pragma once
#include "admin/principal.hpp"

#include <artery/http_message.hpp>

#include <string>

namespace artery::admin {

struct AdminContext;

// Starts answering the other nodes' reload requests (kept in
// context.cluster_responders).
void serve_cluster_reload(AdminContext& context);

// `channel` "" reloads the folder; otherwise that channel from its file.
HttpResponse cluster_reload(AdminContext& context, const HttpRequest& request, const Principal& who,
                            const std::string& channel);

}  // namespace artery::admin
