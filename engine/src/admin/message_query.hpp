// GET /api/messages' query string as a MessageQuery: one reader, so a search
// on this node and the same search answered by another node for the cluster
// (admin/cluster_search.hpp) accept exactly the same parameters.
#pragma once
#include "store/message_store.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace artery::admin {

// Keys this reader does not know (scope, node, cursor, timeout) are left to
// the caller. Nullopt with `problem` in words when a value is bad.
std::optional<MessageQuery> read_message_query(const std::vector<std::pair<std::string, std::string>>& params,
                                               std::string& problem);

// A whole number (a message id is one), or nullopt.
std::optional<std::int64_t> message_id_from(const std::string& text);

}  // namespace artery::admin
