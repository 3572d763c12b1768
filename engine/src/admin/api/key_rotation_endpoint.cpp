// POST /api/keys/rotate: a new key becomes current and a background pass
// re-seals every stored value under it (the old key stays readable until the
// pass is done and every plugin repository that seals with the engine's keys
// has re-sealed, then leaves the key file). GET /api/keys/rotation: the pass's
// progress. Admin only: it changes what the store's file can be read with.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/audit_trail.hpp"
#include "store/message_store.hpp"

#include <boost/json.hpp>

namespace artery::admin {
namespace {

constexpr const char* kStatusSchema =
    R"({"type":"object","properties":{"state":{"type":"string","enum":["idle","running","done","failed"]},)"
    R"("reason":{"type":"string"},"current_key":{"type":"string"},"old_keys":{"type":"array","items":{"type":"string"}},)"
    R"("waiting_for":{"type":"array","items":{"type":"string"}},)"
    R"("messages_done":{"type":"integer"},"messages_total":{"type":"integer"},"started_ms":{"type":"integer"},)"
    R"("finished_ms":{"type":"integer"},"error":{"type":"string"},"encrypted":{"type":"boolean"}}})";

std::string status_json(MessageStore& store) {
  const KeyPassStatus s = store.key_pass_status();
  boost::json::array old_keys;
  for (const auto& key : s.old_keys) old_keys.emplace_back(key);
  boost::json::array waiting_for;  // plugin repositories not yet re-sealed under the current key
  for (const auto& store_name : s.waiting_for) waiting_for.emplace_back(store_name);
  return boost::json::serialize(boost::json::object{{"state", s.state},
                                                    {"reason", s.reason},
                                                    {"encrypted", store.value_cipher().enabled()},
                                                    {"current_key", s.current_key},
                                                    {"old_keys", std::move(old_keys)},
                                                    {"waiting_for", std::move(waiting_for)},
                                                    {"messages_done", s.messages_done},
                                                    {"messages_total", s.messages_total},
                                                    {"started_ms", s.started_ms},
                                                    {"finished_ms", s.finished_ms},
                                                    {"error", s.error}});
}

}  // namespace

void register_key_rotation(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "POST", "/api/keys/rotate", Access::at_least(Role::admin),
      [&context](const HttpRequest& request, const Principal& who) {
        std::string error;
        const bool ok = context.store.rotate_keys(error);
        audit(context, request, who, {"keys.rotate", "", 0, ok, ok ? "started" : error});
        if (!ok) return json_error(409, error);
        return json_ok(status_json(context.store));
      },
      {"Makes a new encryption key current and starts re-sealing every stored value with it in the background; "
       "the old key stays readable until the pass is done, then leaves the key file",
       "keys",
       {},
       "",
       kStatusSchema,
       "application/json",
       {409}});

  routes.add(
      "GET", "/api/keys/rotation", Access::at_least(Role::admin),
      [&context](const HttpRequest&, const Principal&) { return json_ok(status_json(context.store)); },
      {"The progress of the background key pass (a rotation, or sealing a store written before encryption)",
       "keys",
       {},
       "",
       kStatusSchema,
       "application/json",
       {}});
}

}  // namespace artery::admin
