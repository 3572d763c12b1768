// The searchable values of a resource, extracted once when it is written and
// kept in the `search_index` table (one row per value), so a search is an
// indexed SQL query instead of a scan of resource JSON.
#pragma once
#include "listener/sqlite_db.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace boost::json {
class object;
}

namespace artery::fhir {

struct IndexRow {
  std::string param;   // the index name of resource_types.hpp: identifier, name, subject, date, ...
  std::string system;  // token system; a reference's resource type
  std::string value;   // token code; lower-cased string; a reference's id
  std::int64_t low = 0, high = 0;  // dates: [low, high) in Unix ms
  // system and value are keyed hashes (search_terms.hpp), stored as BLOBs,
  // so a plain row (TEXT) is never mistaken for a hashed one.
  bool blinded = false;
};

// The rows of the parameters `search_params_for(resourceType)` declares.
std::vector<IndexRow> index_rows(const boost::json::object& resource);

class SearchIndex {
 public:
  explicit SearchIndex(SqliteDb& db) : db_(db) {}
  static void create_schema(SqliteDb& db);
  // Drops the resource's rows and writes `rows` (empty for a deletion).
  // `first_version`: the resource has no rows yet, nothing to drop.
  void replace(const std::string& type, const std::string& id, const std::vector<IndexRow>& rows,
               bool first_version = false);

 private:
  SqliteDb& db_;
};

// Lower case with ASCII letters folded, for string search ("starts with, case-insensitive").
std::string fold_for_search(std::string_view text);

}  // namespace artery::fhir
