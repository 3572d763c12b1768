// Reprocessing one stored message: its raw content goes through its channel
// again as a new message linked to the original (origin_message_id), as if
// its source had received it; the original stays as it was. Shared by the
// single (POST /api/messages/{id}/reprocess) and the bulk
// (POST /api/messages/reprocess) endpoints, which differ only in how many
// they start before waiting.
#pragma once
#include "admin/principal.hpp"

#include <artery/http_message.hpp>
#include <artery/message.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <string>

namespace artery {
struct MessageRecord;
}

namespace artery::admin {

struct AdminContext;

struct ReprocessResult {
  std::int64_t original_id = 0;
  std::string channel;
  int refusal = 0;  // 0: reprocessed; else the HTTP status saying why not (404, 409, 503, 504)
  std::string error;
  Disposition disposition;  // the new message (refusal 0)
};

// A reprocess handed to its channel and not yet waited for.
struct StartedReprocess {
  ReprocessResult result;          // refusal already set when it could not start
  std::future<Disposition> stored;  // valid while the channel works on it
};

// Hands the stored message to its channel (no waiting). `message` when the
// caller has read it already, else it is read by id.
StartedReprocess start_reprocess(AdminContext& context, std::int64_t id,
                                 const MessageRecord* message = nullptr);

// Waits until the channel has stored the new message, at most until
// `deadline`, and records the outcome in the audit log.
ReprocessResult finish_reprocess(AdminContext& context, const HttpRequest& request, const Principal& who,
                                 StartedReprocess& started, std::chrono::steady_clock::time_point deadline);

// "accepted", "filtered" or "error": the new message as the console shows it.
const char* reprocess_status_name(const Disposition& d);

}  // namespace artery::admin
