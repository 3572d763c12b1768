// GET /api/plugins: what is loaded, from where (the file and the unique copy
// it runs from), since when, what the last reload did, and what it offers;
// the replaced versions still in memory; the files refused as they are now.
#include "admin/admin_context.hpp"
#include "admin/admin_routes.hpp"
#include "admin/api/endpoints.hpp"
#include "admin/api/plugins_json.hpp"
#include "plugin/plugin_registry.hpp"

#include <boost/json.hpp>

namespace artery::admin {

void register_plugins(AdminRoutes& routes, AdminContext& context) {
  routes.add(
      "GET", "/api/plugins", Access::at_least(Role::viewer),
      [&context](const HttpRequest&, const Principal&) {
        boost::json::array list;
        for (const auto& plugin : context.plugins.plugins()) list.push_back(plugin_json(*plugin));
        boost::json::array retired;
        for (const auto& plugin : context.plugins.retired()) retired.push_back(retired_plugin_json(plugin));
        boost::json::array refused;
        for (const auto& file : context.plugins.refused_files())
          refused.push_back(boost::json::object{{"file", file.file.string()}, {"reason", file.reason}});
        boost::json::object out{{"plugins", std::move(list)},
                                {"retired", std::move(retired)},
                                {"refused", std::move(refused)}};
        auto last = context.plugins.last_reload();
        out["last_reload"] = last ? boost::json::value(plugin_reload_json(*last)) : boost::json::value(nullptr);
        return json_ok(boost::json::serialize(out));
      },
      {"The loaded connector plugins, their versions, files, load times, last reload results and options",
       "plugins",
       {},
       "",
       R"({"type":"object","properties":{"plugins":{"type":"array","items":{"type":"object","properties":{
"name":{"type":"string"},"version":{"type":"string"},"description":{"type":"string"},"api":{"type":"string"},
"builtin":{"type":"boolean"},"file":{"type":"string"},"copy":{"type":"string","description":"the unique copy the library runs from"},
"sha256":{"type":"string"},"loaded_at_ms":{"type":"integer"},
"last_reload":{"type":"object","nullable":true,"properties":{"at_ms":{"type":"integer"},"ok":{"type":"boolean"},"detail":{"type":"string"},"error":{"type":"string"}}},
"source":{"type":"boolean"},"destination":{"type":"boolean"},
"source_options":{"type":"array","items":{"$ref":"#/components/schemas/Option"}},"destination_options":{"type":"array","items":{"$ref":"#/components/schemas/Option"}}}}},
"retired":{"type":"array","description":"replaced versions not unloaded yet","items":{"type":"object","properties":{"name":{"type":"string"},"version":{"type":"string"},"copy":{"type":"string"},"retired_at_ms":{"type":"integer"},"in_use":{"type":"boolean"},"still_mapped":{"type":"boolean"}}}},
"refused":{"type":"array","items":{"type":"object","properties":{"file":{"type":"string"},"reason":{"type":"string"}}}},
"last_reload":{"type":"object","nullable":true,"properties":{)" ARTERY_PLUGIN_RELOAD_FIELDS R"(}}}})",
       "application/json",
       {}});
}

}  // namespace artery::admin
