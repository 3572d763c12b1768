#include "admin/api/message_reprocessing.hpp"

#include "admin/admin_context.hpp"
#include "admin/audit_trail.hpp"
#include "control/channel_registry.hpp"
#include "store/message_store.hpp"

namespace artery::admin {

StartedReprocess start_reprocess(AdminContext& context, std::int64_t id, const MessageRecord* message) {
  StartedReprocess started;
  started.result.original_id = id;
  std::optional<MessageRecord> read;
  if (!message) {
    read = context.store.get(id);
    if (!read) {
      started.result.refusal = 404;
      started.result.error = "no message " + std::to_string(id);
      return started;
    }
    message = &*read;
  }
  started.result.channel = message->channel;
  auto answer = std::make_shared<std::promise<Disposition>>();
  started.stored = answer->get_future();
  auto lookup = context.channels.route(message->channel, message->raw, {message->channel, id},
                                       [answer](Disposition d) { answer->set_value(std::move(d)); });
  if (lookup == ChannelDirectory::Lookup::unknown) {
    started.result.refusal = 409;
    started.result.error = "channel '" + message->channel + "' is not deployed";
  } else if (lookup == ChannelDirectory::Lookup::not_running) {
    started.result.refusal = 409;
    started.result.error = "channel '" + message->channel + "' is not running; start it first";
  }
  if (started.result.refusal != 0) started.stored = {};
  return started;
}

ReprocessResult finish_reprocess(AdminContext& context, const HttpRequest& request, const Principal& who,
                                 StartedReprocess& started, std::chrono::steady_clock::time_point deadline) {
  ReprocessResult& result = started.result;
  if (result.refusal == 0) {
    if (started.stored.wait_until(deadline) != std::future_status::ready) {
      result.refusal = 504;
      result.error = "the channel did not store the message in time (it may still do so)";
    } else {
      result.disposition = started.stored.get();
      if (result.disposition.message_id == 0) {
        result.refusal = 503;
        result.error = "the channel could not store the message: " + result.disposition.error;
      }
    }
  }
  // A message that does not exist was never touched: nothing to audit.
  if (result.refusal != 404)
    audit(context, request, who,
          {"message.reprocess", result.channel, result.original_id, result.refusal == 0,
           result.refusal == 0 ? "new message " + std::to_string(result.disposition.message_id) : result.error});
  return result;
}

const char* reprocess_status_name(const Disposition& d) {
  if (d.status == Disposition::Status::accepted) return "accepted";
  if (d.status == Disposition::Status::filtered) return "filtered";
  return "error";
}

}  // namespace artery::admin
