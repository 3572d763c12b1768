#include "listener/repository.hpp"

#include <boost/json.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>

namespace artery::fhir {
namespace {

void bind_all(SqliteStatement& s, const std::vector<SqlValue>& binds, int first = 1) {
  int i = first;
  for (const auto& b : binds) {
    if (const auto* text = std::get_if<std::string>(&b))
      s.bind(i++, *text);
    else if (const auto* blob = std::get_if<SqlBlob>(&b))
      s.bind_blob(i++, blob->bytes);
    else
      s.bind(i++, std::get<std::int64_t>(b));
  }
}

void step_kept(SqliteDb& db, std::string_view sql) { SqliteStatement(db, sql, SqliteStatement::Prepared::kept).step(); }

std::string from_where(const SearchQuery& q) {
  // ?1..?n are the query's own binds; the type goes last.
  return " FROM resources r WHERE r.type = ?" + std::to_string(q.binds.size() + 1) + " AND r.deleted = 0" + q.where;
}

// The meta row whose sealed value's key is the key of the last complete
// sealing pass (or the first key, for a repository sealed from its start).
constexpr const char* kProbeName = "sealed_with";
// 1 while rows written before encryption was on may remain.
constexpr const char* kPlainName = "plain_rows";
constexpr std::size_t kSealBatch = 256;

}  // namespace

Repository::Repository(const std::filesystem::path& file, const ValueCipher& cipher, std::string channel)
    : file_(file), cipher_(cipher), channel_(std::move(channel)) {
  writer_db_ = std::make_unique<SqliteDb>(file);
  writer_db_->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  ResourceStore::create_schema(*writer_db_);
  SearchIndex::create_schema(*writer_db_);
  writer_db_->exec("CREATE TABLE IF NOT EXISTS repository_meta (name TEXT PRIMARY KEY, value) WITHOUT ROWID;");
  // What is deleted or replaced (plaintext the sealing pass replaces, an
  // update's old index rows) is zeroed, not left in free space.
  if (cipher.enabled()) writer_db_->exec("PRAGMA secure_delete = ON;");
  open_sealing_state();
  checkpointer_ = std::make_unique<WalCheckpointer>(*writer_db_, file);
  writer_ = std::thread([this] { writer_loop(); });
}

Repository::~Repository() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::unique_ptr<SqliteDb> Repository::lease() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!readers_.empty()) {
      auto db = std::move(readers_.back());
      readers_.pop_back();
      return db;
    }
  }
  auto db = std::make_unique<SqliteDb>(file_);
  db->exec("PRAGMA query_only = 1");
  return db;
}

void Repository::give_back(std::unique_ptr<SqliteDb> db) {
  std::lock_guard lock(readers_mutex_);
  if (readers_.size() < 16) readers_.push_back(std::move(db));
}

// Returns the connection to the pool however the read ends.
class Repository::ReaderLease {
 public:
  explicit ReaderLease(Repository& repo) : repo_(repo), db_(repo.lease()) {}
  ~ReaderLease() {
    if (sqlite3_get_autocommit(db_->handle()) == 0) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    repo_.give_back(std::move(db_));
  }
  SqliteDb& db() { return *db_; }

 private:
  Repository& repo_;
  std::unique_ptr<SqliteDb> db_;
};

std::optional<StoredVersion> Repository::current(const std::string& type, const std::string& id) {
  ReaderLease r(*this);
  return store(r.db()).current(type, id);
}

std::optional<StoredVersion> Repository::version(const std::string& type, const std::string& id, std::int64_t v) {
  ReaderLease r(*this);
  return store(r.db()).version(type, id, v);
}

std::vector<StoredVersion> Repository::history(const std::string& type, const std::string& id) {
  ReaderLease r(*this);
  return store(r.db()).history(type, id);
}

bool Repository::empty() {
  ReaderLease r(*this);
  return store(r.db()).empty();
}

std::shared_ptr<const SearchTerms> Repository::terms() const {
  std::lock_guard lock(terms_mutex_);
  return terms_;
}

void Repository::rebuild_terms(bool plain_rows_remain) {
  auto terms = std::make_shared<const SearchTerms>(cipher_, plain_rows_remain);
  std::lock_guard lock(terms_mutex_);
  terms_ = std::move(terms);
}

void Repository::open_sealing_state() {
  SqliteDb& db = *writer_db_;
  std::optional<std::string> probe;
  bool plain_rows = false;
  {
    SqliteStatement s(db, "SELECT name, value FROM repository_meta");
    while (s.step()) {
      if (s.text(0) == kProbeName) probe = s.text(1);
      if (s.text(0) == kPlainName) plain_rows = s.integer(1) != 0;
    }
  }
  const std::string probe_identity = "fhir/" + channel_ + "/" + kProbeName;
  if (!cipher_.enabled()) {
    if (probe)
      throw std::runtime_error("fhir repository " + file_.string() +
                               " is encrypted, and the engine's storage encryption is off: start it with "
                               "storage.encrypt and the key the repository was sealed with");
    rebuild_terms(false);
    return;
  }
  if (probe) {
    try {
      cipher_.open(*probe, probe_identity);
    } catch (const ValueTampered& e) {
      throw std::runtime_error("fhir repository " + file_.string() +
                               " is sealed with a key the engine does not have (" + e.what() + ")");
    }
    probe_ = *probe;
  } else {
    // First start with encryption on: versions already stored are plaintext.
    plain_rows = !store(db).empty() || SqliteStatement(db, "SELECT 1 FROM resource_versions LIMIT 1").step();
    probe_ = cipher_.seal("", probe_identity);
    SqliteStatement put(db, "INSERT OR REPLACE INTO repository_meta (name, value) VALUES (?1, ?2), (?3, ?4)");
    put.bind(1, kProbeName).bind_blob(2, probe_).bind(3, kPlainName).bind(4, std::int64_t{plain_rows ? 1 : 0});
    put.step();
    if (!plain_rows) {  // sealed from its first row: nothing to pass over
      rebuild_terms(false);
      cipher_.report_store_sealed("fhir/" + channel_, probe_);
      return;
    }
  }
  rebuild_terms(plain_rows);
  sealing_ = plain_rows || !cipher_.sealed_with_current_key(probe_);
  // All under the current key: a rotation need not keep an older one for us.
  if (!sealing_) cipher_.report_store_sealed("fhir/" + channel_, probe_);
}

void Repository::seal(std::vector<PlannedWrite>& writes) {
  if (!cipher_.enabled()) return;
  auto terms = this->terms();
  ResourceStore sealer(*writer_db_, cipher_, channel_);  // seal() touches no connection
  for (auto& w : writes) {
    w.version.json = sealer.seal(w.version);
    // A rotation since the terms were built: hash under the key that sealed.
    if (w.version.json.compare(4, 4, terms->current_key_id()) != 0) {
      rebuild_terms(terms->plain_rows_remain());
      terms = this->terms();
    }
    w.rows = terms->blind(std::move(w.rows));
  }
}

// Rows after the cursor, sealed again under the current key when they are
// plaintext or under an older key; a resource's index rows are hashed again
// with its current version. A row that does not open (tampered) is left as
// it is: reading it answers 500, and the pass goes on.
bool Repository::seal_next_batch() {
  struct Row {
    std::string type, id, json;
    std::int64_t version;
  };
  std::vector<Row> rows;
  SqliteDb& db = *writer_db_;
  {
    SqliteStatement s(db,
                      "SELECT type, id, version, json FROM resource_versions WHERE (type, id, version) > (?1, ?2, ?3) "
                      "ORDER BY type, id, version LIMIT " + std::to_string(kSealBatch));
    s.bind(1, cursor_type_).bind(2, cursor_id_).bind(3, cursor_version_);
    while (s.step()) rows.push_back({s.text(0), s.text(1), s.text(3), s.integer(2)});
  }
  const auto terms = this->terms();
  transaction([&] {
    ResourceStore versions = store(db);
    SearchIndex index(db);
    for (const auto& row : rows) {
      if (cipher_.sealed_with_current_key(row.json)) continue;
      const std::string identity = ResourceStore::row_identity(channel_, row.type, row.id, row.version);
      std::string json;
      try {
        json = cipher_.open(row.json, identity);
      } catch (const ValueTampered&) {
        continue;
      }
      versions.reseal(row.type, row.id, row.version, cipher_.seal(json, identity));
      SqliteStatement current(db, "SELECT version, deleted FROM resources WHERE type = ?1 AND id = ?2",
                              SqliteStatement::Prepared::kept);
      current.bind(1, row.type).bind(2, row.id);
      if (!current.step() || current.integer(0) != row.version) continue;
      const bool deleted = current.integer(1) != 0;
      std::vector<IndexRow> index_rows_now;
      if (!deleted) {
        boost::system::error_code ec;
        auto parsed = boost::json::parse(json, ec);
        if (ec || !parsed.is_object()) continue;  // not ours to judge; its old rows stay
        index_rows_now = index_rows(parsed.get_object());
      }
      index.replace(row.type, row.id, terms->blind(std::move(index_rows_now)));
    }
  });
  if (!rows.empty()) {
    cursor_type_ = rows.back().type;
    cursor_id_ = rows.back().id;
    cursor_version_ = rows.back().version;
  }
  if (rows.size() == kSealBatch) return true;
  cursor_type_.clear();
  cursor_id_.clear();
  cursor_version_ = -1;
  // Done: every row is sealed under the key the probe is now sealed with,
  // unless the key changed during the pass (another rotation): then again.
  const std::string probe = cipher_.seal("", "fhir/" + channel_ + "/" + kProbeName);
  if (probe.compare(4, 4, terms->current_key_id()) != 0) {
    rebuild_terms(terms->plain_rows_remain());
    return true;
  }
  probe_ = probe;
  transaction([&] {
    SqliteStatement put(db, "INSERT OR REPLACE INTO repository_meta (name, value) VALUES (?1, ?2), (?3, 0)");
    put.bind(1, kProbeName).bind_blob(2, probe_).bind(3, kPlainName);
    put.step();
  });
  rebuild_terms(false);
  // The engine's key rotation may forget the older keys now (KeyPass waits for this).
  cipher_.report_store_sealed("fhir/" + channel_, probe_);
  // The pages that held plaintext are rewritten in the database now, not
  // only in the WAL (best effort: a reader may hold the WAL a while longer).
  sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  return false;
}

std::vector<std::string> Repository::match_ids(const SearchQuery& q, std::int64_t limit) {
  ReaderLease r(*this);
  SqliteStatement s(r.db(), "SELECT r.id" + from_where(q) + " LIMIT " + std::to_string(limit));
  bind_all(s, q.binds);
  s.bind(static_cast<int>(q.binds.size()) + 1, q.type);
  std::vector<std::string> ids;
  while (s.step()) ids.push_back(s.text(0));
  return ids;
}

SearchResult Repository::search(const SearchQuery& q) {
  ReaderLease r(*this);
  // One read transaction: the total and the page see the same snapshot.
  r.db().exec("BEGIN");
  SearchResult result;
  {
    SqliteStatement count(r.db(), "SELECT count(*)" + from_where(q));
    bind_all(count, q.binds);
    count.bind(static_cast<int>(q.binds.size()) + 1, q.type);
    if (count.step()) result.total = count.integer(0);
  }
  if (q.summary_count || q.count == 0) {
    r.db().exec("COMMIT");
    return result;
  }
  std::vector<std::string> ids;
  {
    SqliteStatement page(r.db(), "SELECT r.id" + from_where(q) + " " + q.order + " LIMIT " +
                                     std::to_string(q.count) + " OFFSET " + std::to_string(q.offset));
    bind_all(page, q.binds);
    page.bind(static_cast<int>(q.binds.size()) + 1, q.type);
    while (page.step()) ids.push_back(page.text(0));
  }
  ResourceStore versions = store(r.db());
  for (const auto& id : ids)
    if (auto v = versions.current(q.type, id)) result.matches.push_back(std::move(*v));
  if (!q.includes.empty()) {
    // The references come from the matches themselves, not the index: with
    // encryption on, the index holds only their hashes.
    std::vector<std::pair<std::string, std::string>> seen;
    for (const auto& match : result.matches) {
      boost::system::error_code ec;
      auto parsed = boost::json::parse(match.json, ec);
      if (ec || !parsed.is_object()) continue;
      for (const auto& row : index_rows(parsed.get_object())) {
        if (std::find(q.includes.begin(), q.includes.end(), row.param) == q.includes.end()) continue;
        std::pair<std::string, std::string> key{row.system, row.value};
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        if (auto v = versions.current(key.first, key.second); v && !v->deleted) result.included.push_back(std::move(*v));
      }
    }
  }
  r.db().exec("COMMIT");
  return result;
}

void Repository::apply(SqliteDb& db, const std::vector<PlannedWrite>& writes) {
  ResourceStore store(db, cipher_, channel_);
  SearchIndex index(db);
  for (const auto& w : writes) {
    store.put(w.version);
    index.replace(w.version.type, w.version.id, w.rows, w.version.version == 1);
  }
}

void Repository::commit(std::vector<PlannedWrite> writes, std::function<void(const std::string&)> after) {
  std::string error;
  try {
    seal(writes);
  } catch (const std::exception& e) {
    // Answered through the writer like any failed write, so the caller's
    // `after` (which releases its write lock) still runs, in order.
    error = std::string("sealing failed: ") + e.what();
    writes.clear();
  }
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back({std::move(writes), std::move(after), std::move(error)});
  }
  queue_cv_.notify_one();
}

void Repository::commit_now(const std::vector<PlannedWrite>& writes) {
  // Through the writer thread anyway, so only one connection ever writes.
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::string error;
  commit(writes, [&](const std::string& e) {
    std::lock_guard lock(m);
    error = e;
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
  if (!error.empty()) throw std::runtime_error(error);
}

void Repository::transaction(const std::function<void()>& writes) {
  SqliteDb& db = *writer_db_;
  try {
    step_kept(db, "BEGIN IMMEDIATE");
    writes();
    step_kept(db, "COMMIT");
  } catch (...) {
    if (sqlite3_get_autocommit(db.handle()) == 0) sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

// The whole batch in one transaction. No savepoint per job: SQLite writes
// every page a savepoint touches to a statement journal first, which cost
// more than the writes themselves. A failed write (rare: a constraint, a
// full disk) undoes the batch, and then each job is committed on its own,
// so one bad write still fails alone.
std::vector<std::string> Repository::write_batch(const std::vector<Job>& jobs) {
  std::vector<std::string> errors(jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) errors[i] = jobs[i].error;
  if (std::all_of(jobs.begin(), jobs.end(), [](const Job& j) { return j.writes.empty(); })) return errors;
  try {
    transaction([&] {
      for (const auto& job : jobs) apply(*writer_db_, job.writes);
    });
    return errors;
  } catch (const std::exception& e) {
    if (jobs.size() == 1) {
      errors[0] = e.what();
      return errors;
    }
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].writes.empty()) continue;
    try {
      transaction([&] { apply(*writer_db_, jobs[i].writes); });
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  }
  return errors;
}

void Repository::writer_loop() {
  bool pass_failed = false;
  while (true) {
    std::vector<Job> jobs;
    {
      std::unique_lock lock(queue_mutex_);
      // While sealing, a batch of the pass runs whenever no write waits.
      // Otherwise a look once a second for a key rotation.
      if (!sealing_ || pass_failed)
        queue_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;  // an unfinished pass resumes at the next start
      jobs.swap(queue_);
    }
    if (jobs.empty()) {
      if (!sealing_ && cipher_.enabled() && !cipher_.sealed_with_current_key(probe_)) {
        rebuild_terms(false);  // the keys changed: queries try every readable key
        sealing_ = true;
      }
      if (sealing_) {
        try {
          sealing_ = seal_next_batch();
          pass_failed = false;
        } catch (const std::exception&) {
          pass_failed = true;  // busy or a full disk: again in a second
        }
      }
      continue;
    }
    const std::vector<std::string> errors = write_batch(jobs);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      try {
        if (jobs[i].after) jobs[i].after(errors[i]);
      } catch (...) {
        // an answer that cannot be built must not stop the writer
      }
    }
  }
}

}  // namespace artery::fhir
