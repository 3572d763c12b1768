// The one place resource JSON is written to and read from the repository's
// SQLite file: every version of every resource (history), and which version
// is current. Issue #13 encrypts resources at rest here, so nothing else may
// touch the `resource_versions.json` column.
#pragma once
#include "listener/sqlite_db.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace artery::fhir {

struct StoredVersion {
  std::string type;
  std::string id;
  std::int64_t version = 0;
  std::int64_t last_updated_ms = 0;
  bool deleted = false;
  std::string json;  // the resource as stored (with id and meta); empty for a deletion
};

class ResourceStore {
 public:
  explicit ResourceStore(SqliteDb& db) : db_(db) {}
  static void create_schema(SqliteDb& db);

  std::optional<StoredVersion> current(const std::string& type, const std::string& id);
  std::optional<StoredVersion> version(const std::string& type, const std::string& id, std::int64_t version);
  // Newest first.
  std::vector<StoredVersion> history(const std::string& type, const std::string& id);
  // Writes a new version and makes it the current one (in the caller's transaction).
  void put(const StoredVersion& version);
  bool empty();

 private:
  SqliteDb& db_;
};

}  // namespace artery::fhir
