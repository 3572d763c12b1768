// POST /api/messages/{id}/reprocess: the stored raw message goes through its
// channel again as a new message linked to the original (origin_message_id),
// as if its source had received it; the original stays as it was. The answer
// waits until the new message is stored, so the console can open it.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "control/channel_registry.hpp"
#include "store/message_store.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <future>

namespace artery::admin {

void register_reprocess(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "POST", "/api/messages/{id}/reprocess", Access::at_least(Role::operator_),
      [&context](const HttpRequest& request, const Principal& who) {
        const std::string& text = request.param("id");
        std::int64_t id = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc() || end != text.data() + text.size())
          return json_error(400, "'" + text + "' is not a message id");
        auto message = context.store.get(id);
        if (!message) return json_error(404, "no message " + text);
        auto answer = std::make_shared<std::promise<Disposition>>();
        auto future = answer->get_future();
        auto lookup = context.channels.route(message->channel, message->raw, {message->channel, id},
                                             [answer](Disposition d) { answer->set_value(std::move(d)); });
        auto refuse = [&](int status, std::string why) {
          audit(context, request, who, {"message.reprocess", message->channel, id, false, why});
          return json_error(status, why);
        };
        if (lookup == ChannelDirectory::Lookup::unknown)
          return refuse(409, "channel '" + message->channel + "' is not deployed");
        if (lookup == ChannelDirectory::Lookup::not_running)
          return refuse(409, "channel '" + message->channel + "' is not running; start it first");
        if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
          return refuse(504, "the channel did not store the message within 30 s");
        Disposition d = future.get();
        if (d.message_id == 0)
          return refuse(503, "the channel could not store the message: " + d.error);
        audit(context, request, who,
              {"message.reprocess", message->channel, id, true, "new message " + std::to_string(d.message_id)});
        boost::json::object body{{"message_id", d.message_id},
                                 {"original_id", id},
                                 {"status", d.status == Disposition::Status::accepted   ? "accepted"
                                            : d.status == Disposition::Status::filtered ? "filtered"
                                                                                         : "error"},
                                 {"error", d.error}};
        return json_ok(boost::json::serialize(body));
      },
      {"Runs a stored message through its channel again, as a new message linked to the original", "messages",
       {{"id", "path", "integer", "the message to reprocess", true}}, "",
       R"({"type":"object","properties":{"message_id":{"type":"integer"},"original_id":{"type":"integer"},"status":{"type":"string","enum":["accepted","filtered","error"]},"error":{"type":"string"}}})",
       "application/json", {400, 404, 409, 503, 504}});
}

}  // namespace artery::admin
