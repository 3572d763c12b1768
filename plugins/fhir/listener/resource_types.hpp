// What the listener knows about FHIR R4: the resource type names, and the
// search parameters it indexes for each type. The CapabilityStatement, the
// indexer and the search parser all read this one table, so what /metadata
// says is exactly what search does.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace artery::fhir {

// Every resource type of FHIR R4 (4.0.1).
const std::vector<std::string>& r4_resource_types();
bool is_r4_resource_type(std::string_view name);

enum class SearchParamType { token, string, reference, date };

struct SearchParamDef {
  std::string name;     // "identifier", "family", "date", ...
  SearchParamType type;
  std::string index;    // the index rows it reads (patient and subject share "subject")
  std::string description;
};

// The parameters searchable on `resource_type` besides _id and _lastUpdated
// (which every type has).
std::vector<SearchParamDef> search_params_for(std::string_view resource_type);
std::string_view to_string(SearchParamType type);

}  // namespace artery::fhir
