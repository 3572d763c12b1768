#include "listener/resource_store.hpp"

namespace artery::fhir {

std::string ResourceStore::row_identity(const std::string& channel, const std::string& type, const std::string& id,
                                        std::int64_t version) {
  return "fhir/" + channel + "/" + type + "/" + id + "/" + std::to_string(version);
}

std::string ResourceStore::seal(const StoredVersion& v) const {
  if (!cipher_.enabled()) return v.json;
  return cipher_.seal(v.json, row_identity(channel_, v.type, v.id, v.version));
}

// Opens the JSON: a tampered or misplaced sealed value throws ValueTampered
// (answered 500 with an OperationOutcome), never garbage.
StoredVersion ResourceStore::row(const SqliteStatement& s) const {
  StoredVersion v;
  v.type = s.text(0);
  v.id = s.text(1);
  v.version = s.integer(2);
  v.last_updated_ms = s.integer(3);
  v.deleted = s.integer(4) != 0;
  v.json = s.text(5);
  if (s.is_blob(5) || cipher_.is_sealed(v.json))
    v.json = cipher_.open(v.json, row_identity(channel_, v.type, v.id, v.version));
  return v;
}

void ResourceStore::create_schema(SqliteDb& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS resource_versions ("
      " type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, last_updated_ms INTEGER NOT NULL,"
      " deleted INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (type, id, version)) WITHOUT ROWID;"
      // The current version of each resource; searches filter and sort on it.
      "CREATE TABLE IF NOT EXISTS resources ("
      " type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, last_updated_ms INTEGER NOT NULL,"
      " deleted INTEGER NOT NULL, PRIMARY KEY (type, id));"
      "CREATE INDEX IF NOT EXISTS resources_by_updated ON resources (type, last_updated_ms);");
}

std::optional<StoredVersion> ResourceStore::current(const std::string& type, const std::string& id) {
  SqliteStatement s(db_,
                    "SELECT v.type, v.id, v.version, v.last_updated_ms, v.deleted, v.json FROM resources r "
                    "JOIN resource_versions v ON v.type = r.type AND v.id = r.id AND v.version = r.version "
                    "WHERE r.type = ?1 AND r.id = ?2", SqliteStatement::Prepared::kept);
  s.bind(1, type).bind(2, id);
  if (!s.step()) return std::nullopt;
  return row(s);
}

std::optional<StoredVersion> ResourceStore::version(const std::string& type, const std::string& id,
                                                    std::int64_t version) {
  SqliteStatement s(db_,
                    "SELECT type, id, version, last_updated_ms, deleted, json FROM resource_versions "
                    "WHERE type = ?1 AND id = ?2 AND version = ?3", SqliteStatement::Prepared::kept);
  s.bind(1, type).bind(2, id).bind(3, version);
  if (!s.step()) return std::nullopt;
  return row(s);
}

std::vector<StoredVersion> ResourceStore::history(const std::string& type, const std::string& id) {
  SqliteStatement s(db_,
                    "SELECT type, id, version, last_updated_ms, deleted, json FROM resource_versions "
                    "WHERE type = ?1 AND id = ?2 ORDER BY version DESC", SqliteStatement::Prepared::kept);
  s.bind(1, type).bind(2, id);
  std::vector<StoredVersion> out;
  while (s.step()) out.push_back(row(s));
  return out;
}

void ResourceStore::put(const StoredVersion& v) {
  SqliteStatement insert(db_,
                         "INSERT INTO resource_versions (type, id, version, last_updated_ms, deleted, json) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", SqliteStatement::Prepared::kept);
  insert.bind(1, v.type).bind(2, v.id).bind(3, v.version).bind(4, v.last_updated_ms)
      .bind(5, std::int64_t{v.deleted ? 1 : 0});
  if (cipher_.is_sealed(v.json))
    insert.bind_blob(6, v.json);
  else
    insert.bind(6, v.json);
  insert.step();
  // REPLACE (not an upsert): the row gets a new rowid, so rowid orders resources by their last write
  // even within one millisecond (the tie-break of _sort=_lastUpdated).
  SqliteStatement current(db_,
                          "INSERT OR REPLACE INTO resources (type, id, version, last_updated_ms, deleted) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)", SqliteStatement::Prepared::kept);
  current.bind(1, v.type).bind(2, v.id).bind(3, v.version).bind(4, v.last_updated_ms)
      .bind(5, std::int64_t{v.deleted ? 1 : 0});
  current.step();
}

void ResourceStore::reseal(const std::string& type, const std::string& id, std::int64_t version,
                           const std::string& stored) {
  SqliteStatement s(db_, "UPDATE resource_versions SET json = ?4 WHERE type = ?1 AND id = ?2 AND version = ?3",
                    SqliteStatement::Prepared::kept);
  s.bind(1, type).bind(2, id).bind(3, version);
  if (cipher_.is_sealed(stored))
    s.bind_blob(4, stored);
  else
    s.bind(4, stored);
  s.step();
}

bool ResourceStore::empty() {
  SqliteStatement s(db_, "SELECT 1 FROM resources LIMIT 1", SqliteStatement::Prepared::kept);
  return !s.step();
}

}  // namespace artery::fhir
