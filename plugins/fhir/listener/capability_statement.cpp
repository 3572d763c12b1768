#include "listener/capability_statement.hpp"

#include "listener/fhir_instant.hpp"
#include "listener/resource_types.hpp"

#include <boost/json.hpp>

#include <artery/version.hpp>

#include <chrono>

namespace artery::fhir {
namespace json = boost::json;

std::string capability_statement_json(const std::vector<std::string>& types, bool repository, bool secured) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  json::array resources;
  for (const auto& type : types) {
    json::array interactions;
    static const std::vector<const char*> kRepository{"read", "vread", "update", "delete", "history-instance",
                                                      "create", "search-type"};
    static const std::vector<const char*> kListenOnly{"update", "delete", "create"};
    for (const char* code : repository ? kRepository : kListenOnly)
      interactions.push_back(json::object{{"code", code}});
    json::object r{{"type", type}, {"interaction", std::move(interactions)}};
    r["versioning"] = repository ? "versioned-update" : "no-version";
    r["readHistory"] = repository;
    r["updateCreate"] = true;
    r["conditionalCreate"] = repository;
    r["conditionalRead"] = "not-supported";
    r["conditionalUpdate"] = repository;
    r["conditionalDelete"] = "not-supported";
    if (repository) {
      json::array params{
          json::object{{"name", "_id"}, {"type", "token"}, {"documentation", "The resource id"}},
          json::object{{"name", "_lastUpdated"}, {"type", "date"},
                       {"documentation", "When the resource version was stored (eq, gt, lt, ge, le)"}}};
      json::array includes;
      for (const auto& p : search_params_for(type)) {
        params.push_back(json::object{{"name", p.name}, {"type", to_string(p.type)}, {"documentation", p.description}});
        if (p.type == SearchParamType::reference) includes.push_back(json::string(type + ":" + p.name));
      }
      if (!includes.empty()) r["searchInclude"] = std::move(includes);
      r["searchParam"] = std::move(params);
    }
    resources.push_back(std::move(r));
  }
  json::object rest{{"mode", "server"}, {"resource", std::move(resources)}};
  if (repository)
    rest["interaction"] = json::array{json::object{{"code", "transaction"}}, json::object{{"code", "batch"}}};
  if (secured) {
    rest["security"] = json::object{
        {"service", json::array{json::object{
                        {"coding", json::array{json::object{
                                       {"system", "http://terminology.hl7.org/CodeSystem/restful-security-service"},
                                       {"code", "SMART-on-FHIR"}}}}}}},
        {"description", "Bearer tokens with SMART scopes (system/Patient.read, system/*.write)"}};
  }
  json::object cs{{"resourceType", "CapabilityStatement"},
                  {"status", "active"},
                  {"date", format_instant(now)},
                  {"publisher", "Artery"},
                  {"kind", "instance"},
                  {"software", json::object{{"name", "Artery"}, {"version", artery::kEngineVersion}}},
                  {"implementation", json::object{{"description", "Artery FHIR listener"}}},
                  {"fhirVersion", "4.0.1"},
                  {"format", json::array{"application/fhir+json", "json"}},
                  {"rest", json::array{std::move(rest)}}};
  return json::serialize(cs);
}

}  // namespace artery::fhir
