// GET /api/openapi.json: OpenAPI 3.0 generated from the routes registered
// before it, so it lists exactly the endpoints the server answers, with the
// role each needs. Public, like the API's own documentation would be.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"

#include <artery/version.hpp>
#include <boost/json.hpp>

namespace artery::admin {
namespace {

constexpr const char* kComponents = R"({
"securitySchemes":{
  "session":{"type":"apiKey","in":"cookie","name":"artery_session","description":"from POST /api/login; state-changing requests must also send the X-CSRF-Token header"},
  "token":{"type":"http","scheme":"bearer","description":"an API token from POST /api/tokens"}},
"schemas":{
  "Error":{"type":"object","properties":{"error":{"type":"string"}},"required":["error"]},
  "Counters":{"type":"object","properties":{"received":{"type":"integer"},"filtered":{"type":"integer"},"queued":{"type":"integer"},"sent":{"type":"integer"},"errored":{"type":"integer"}}},
  "Channel":{"type":"object","properties":{"name":{"type":"string"},"state":{"type":"string"},"reason":{"type":"string"},"source":{"type":"string"},"counters":{"$ref":"#/components/schemas/Counters"},"destinations":{"type":"array","items":{"type":"object"}}}},
  "Option":{"type":"object","properties":{"key":{"type":"string"},"type":{"type":"string"},"required":{"type":"boolean"},"default":{"type":"string"},"description":{"type":"string"}}},
  "MessageSummary":{"type":"object","properties":{"id":{"type":"integer"},"channel":{"type":"string"},"received_at_ms":{"type":"integer"},"state":{"type":"string"},"data_type":{"type":"string"},"message_type":{"type":"string"},"control_id":{"type":"string"},"patient_id":{"type":"string"},"origin_channel":{"type":"string"},"origin_message_id":{"type":"integer"}}},
  "Message":{"allOf":[{"$ref":"#/components/schemas/MessageSummary"},{"type":"object","properties":{
    "content_included":{"type":"boolean","description":"false for viewers: no raw, transformed, sent content, responses or errors"},
    "raw":{"type":"string"},"transformed":{"type":"string"},"transformed_type":{"type":"string"},"error":{"type":"string"},"vars_json":{"type":"string"},"attributes_json":{"type":"string"},
    "deliveries":{"type":"array","items":{"type":"object","properties":{"destination":{"type":"string"},"state":{"type":"string"},"attempts":{"type":"integer"},"updated_ms":{"type":"integer"},"sent_content":{"type":"string"},"sent_unchanged":{"type":"boolean"},"response":{"type":"string"},"error":{"type":"string"}}}}}}]}
}})";

boost::json::value schema_or_empty(const std::string& text) {
  if (text.empty()) return boost::json::object{};
  return boost::json::parse(text);
}

boost::json::object operation(const RouteDescription& route) {
  const ApiDoc& doc = route.doc;
  boost::json::object op{{"summary", doc.summary}, {"tags", boost::json::array{boost::json::string(doc.tag)}}};
  // Unique and stable: "GET /api/channels/{name}" -> "get_api_channels_name".
  std::string id;
  for (char c : route.method + "_" + route.pattern)
    if (std::isalnum(static_cast<unsigned char>(c))) id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!id.empty() && id.back() != '_') id += '_';
  while (!id.empty() && id.back() == '_') id.pop_back();
  op["operationId"] = id;
  boost::json::array params;
  for (const auto& p : doc.params)
    params.push_back(boost::json::object{{"name", p.name},
                                         {"in", p.in},
                                         {"required", p.in == "path" || p.required},
                                         {"description", p.description},
                                         {"schema", boost::json::object{{"type", p.type}}}});
  if (!params.empty()) op["parameters"] = std::move(params);
  if (!doc.request_schema.empty())
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", schema_or_empty(doc.request_schema)}}}}}};
  boost::json::object responses;
  responses["200"] = {{"description", "OK"},
                      {"content", {{doc.response_type, {{"schema", schema_or_empty(doc.response_schema)}}}}}};
  std::vector<int> errors = doc.errors;
  if (route.access.minimum) {
    errors.push_back(401);
    errors.push_back(403);
    op["security"] = boost::json::array{boost::json::object{{"session", boost::json::array{}}},
                                        boost::json::object{{"token", boost::json::array{}}}};
    op["x-artery-role"] = std::string(role_name(*route.access.minimum));
  } else {
    op["security"] = boost::json::array{};
  }
  for (int status : errors)
    responses[std::to_string(status)] = {
        {"description", std::string(http_reason(status))},
        {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
  op["responses"] = std::move(responses);
  return op;
}

}  // namespace

void register_openapi(AdminRoutes& routes, AdminContext&) {
  ApiDoc self{"This document: the admin API as the server really serves it", "engine", {}, "",
              R"({"type":"object"})", "application/json", {}};
  // Registered first so it describes itself too; the handler reads the
  // routes when asked, by which time every registration is done.
  routes.add(
      "GET", "/api/openapi.json", Access::anyone(),
      [&routes](const HttpRequest&, const Principal&) {
        boost::json::object paths;
        for (const auto& route : routes.routes()) {
          std::string method = route.method;
          for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          auto& path = paths[route.pattern];
          if (!path.is_object()) path = boost::json::object{};
          path.as_object()[method] = operation(route);
        }
        boost::json::object document{
            {"openapi", "3.0.3"},
            {"info", {{"title", "Artery admin API"}, {"version", kEngineVersion},
                      {"description", "Channels, messages, users, audit and alerts of one Artery engine."}}},
            {"paths", std::move(paths)},
            {"components", boost::json::parse(kComponents)}};
        return json_ok(boost::json::serialize(document));
      },
      std::move(self));
}

}  // namespace artery::admin
