// GET /api/plugins: what is loaded, from where, and what it offers.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "plugin/plugin_registry.hpp"

#include <boost/json.hpp>

namespace artery::admin {
namespace {

boost::json::array option_names(const ConnectorSchema& schema) {
  boost::json::array out;
  for (const auto& option : schema.options) {
    boost::json::object one{{"key", option.key},
                            {"type", option.type},
                            {"required", option.required},
                            {"description", option.description ? option.description : ""}};
    if (option.default_value) one["default"] = option.default_value;
    out.push_back(std::move(one));
  }
  return out;
}

}  // namespace

void register_plugins(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/plugins", Access::at_least(Role::viewer),
      [&context](const HttpRequest&, const Principal&) {
        boost::json::array list;
        for (const LoadedPlugin* plugin : context.plugins.plugins()) {
          const auto* d = plugin->descriptor;
          boost::json::object one{{"name", d->name},
                                  {"version", d->version},
                                  {"description", d->description},
                                  {"api", std::to_string(d->api_major) + "." + std::to_string(d->api_minor)},
                                  {"builtin", plugin->file.empty()},
                                  {"file", plugin->file.string()},
                                  {"source", plugin->has_source()},
                                  {"destination", plugin->has_destination()}};
          if (plugin->has_source()) one["source_options"] = option_names(plugin->source_schema);
          if (plugin->has_destination()) one["destination_options"] = option_names(plugin->destination_schema);
          list.push_back(std::move(one));
        }
        return json_ok(boost::json::serialize(boost::json::object{{"plugins", std::move(list)}}));
      },
      {"The loaded connector plugins and their options", "plugins", {}, "",
       R"({"type":"object","properties":{"plugins":{"type":"array","items":{"type":"object","properties":{
"name":{"type":"string"},"version":{"type":"string"},"description":{"type":"string"},"api":{"type":"string"},
"builtin":{"type":"boolean"},"file":{"type":"string"},"source":{"type":"boolean"},"destination":{"type":"boolean"},
"source_options":{"type":"array","items":{"$ref":"#/components/schemas/Option"}},"destination_options":{"type":"array","items":{"$ref":"#/components/schemas/Option"}}}}}}})",
       "application/json", {}});
}

}  // namespace artery::admin
