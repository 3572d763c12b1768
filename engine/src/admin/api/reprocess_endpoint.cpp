// POST /api/messages/{id}/reprocess: the stored raw message goes through its
// channel again as a new message linked to the original (see
// message_reprocessing.hpp). The answer waits until the new message is
// stored, so the console can open it.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/api/message_reprocessing.hpp"

#include <boost/json.hpp>

#include <charconv>

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
        auto started = start_reprocess(context, id);
        auto result = finish_reprocess(context, request, who, started,
                                       std::chrono::steady_clock::now() + std::chrono::seconds(30));
        if (result.refusal != 0) return json_error(result.refusal, result.error);
        boost::json::object body{{"message_id", result.disposition.message_id},
                                 {"original_id", id},
                                 {"status", reprocess_status_name(result.disposition)},
                                 {"error", result.disposition.error}};
        return json_ok(boost::json::serialize(body));
      },
      {"Runs a stored message through its channel again, as a new message linked to the original", "messages",
       {{"id", "path", "integer", "the message to reprocess", true}}, "",
       R"({"type":"object","properties":{"message_id":{"type":"integer"},"original_id":{"type":"integer"},"status":{"type":"string","enum":["accepted","filtered","error"]},"error":{"type":"string"}}})",
       "application/json", {400, 404, 409, 503, 504}});
}

}  // namespace artery::admin
