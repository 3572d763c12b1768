// The one place resource JSON is written to and read from the repository's
// SQLite file: every version of every resource (history), and which version
// is current. Resources are encrypted at rest here (docs/fhir.md,
// "Encryption at rest"), so nothing else may touch the
// `resource_versions.json` column: with the engine's storage encryption on
// it holds a sealed BLOB (ValueCipher, associated data
// "fhir/<channel>/<type>/<id>/<version>"), and TEXT only for versions written
// before it was turned on, until the repository's sealing pass reaches them.
#pragma once
#include "listener/sqlite_db.hpp"

#include <artery/value_cipher.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
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
  // `cipher` (which outlives the store) opens what is read, plaintext
  // passes through; `channel` names the rows in the associated data.
  explicit ResourceStore(SqliteDb& db, const ValueCipher& cipher = ValueCipher::disabled(),
                         std::string channel = "")
      : db_(db), cipher_(cipher), channel_(std::move(channel)) {}
  static void create_schema(SqliteDb& db);

  // The associated data a version is sealed with: values cannot be swapped
  // between versions, resources or channels.
  static std::string row_identity(const std::string& channel, const std::string& type, const std::string& id,
                                  std::int64_t version);
  // Seals `json` for this row (unchanged when encryption is off).
  std::string seal(const StoredVersion& v) const;

  std::optional<StoredVersion> current(const std::string& type, const std::string& id);
  std::optional<StoredVersion> version(const std::string& type, const std::string& id, std::int64_t version);
  // Newest first.
  std::vector<StoredVersion> history(const std::string& type, const std::string& id);
  // Writes a new version and makes it the current one (in the caller's
  // transaction). `version.json` is as it is to be stored: already sealed
  // (Repository::commit seals on the caller's thread) or plaintext.
  void put(const StoredVersion& version);
  // Replaces a stored version's JSON (the sealing pass).
  void reseal(const std::string& type, const std::string& id, std::int64_t version, const std::string& stored);
  bool empty();

 private:
  StoredVersion row(const SqliteStatement& s) const;

  SqliteDb& db_;
  const ValueCipher& cipher_;
  std::string channel_;
};

}  // namespace artery::fhir
