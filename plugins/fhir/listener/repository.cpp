#include "listener/repository.hpp"

#include <sqlite3.h>

namespace artery::fhir {
namespace {

void bind_all(SqliteStatement& s, const std::vector<SqlValue>& binds, int first = 1) {
  int i = first;
  for (const auto& b : binds) {
    if (const auto* text = std::get_if<std::string>(&b))
      s.bind(i++, *text);
    else
      s.bind(i++, std::get<std::int64_t>(b));
  }
}

void step_kept(SqliteDb& db, std::string_view sql) { SqliteStatement(db, sql, SqliteStatement::Prepared::kept).step(); }

std::string from_where(const SearchQuery& q) {
  // ?1..?n are the query's own binds; the type goes last.
  return " FROM resources r WHERE r.type = ?" + std::to_string(q.binds.size() + 1) + " AND r.deleted = 0" + q.where;
}

}  // namespace

Repository::Repository(const std::filesystem::path& file) : file_(file) {
  writer_db_ = std::make_unique<SqliteDb>(file);
  writer_db_->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  ResourceStore::create_schema(*writer_db_);
  SearchIndex::create_schema(*writer_db_);
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
  return ResourceStore(r.db()).current(type, id);
}

std::optional<StoredVersion> Repository::version(const std::string& type, const std::string& id, std::int64_t v) {
  ReaderLease r(*this);
  return ResourceStore(r.db()).version(type, id, v);
}

std::vector<StoredVersion> Repository::history(const std::string& type, const std::string& id) {
  ReaderLease r(*this);
  return ResourceStore(r.db()).history(type, id);
}

bool Repository::empty() {
  ReaderLease r(*this);
  return ResourceStore(r.db()).empty();
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
  ResourceStore store(r.db());
  for (const auto& id : ids)
    if (auto v = store.current(q.type, id)) result.matches.push_back(std::move(*v));
  if (!q.includes.empty() && !ids.empty()) {
    std::vector<std::pair<std::string, std::string>> seen;
    SqliteStatement refs(r.db(), "SELECT system, value FROM search_index WHERE type = ?1 AND id = ?2 AND param = ?3",
                         SqliteStatement::Prepared::kept);
    for (const auto& id : ids) {
      for (const auto& include : q.includes) {
        refs.reset();
        refs.bind(1, q.type).bind(2, id).bind(3, include);
        while (refs.step()) {
          std::pair<std::string, std::string> key{refs.text(0), refs.text(1)};
          if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
          seen.push_back(key);
          if (auto v = store.current(key.first, key.second); v && !v->deleted) result.included.push_back(std::move(*v));
        }
      }
    }
  }
  r.db().exec("COMMIT");
  return result;
}

void Repository::apply(SqliteDb& db, const std::vector<PlannedWrite>& writes) {
  ResourceStore store(db);
  SearchIndex index(db);
  for (const auto& w : writes) {
    store.put(w.version);
    index.replace(w.version.type, w.version.id, w.rows, w.version.version == 1);
  }
}

void Repository::commit(std::vector<PlannedWrite> writes, std::function<void(const std::string&)> after) {
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back({std::move(writes), std::move(after)});
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

void Repository::writer_loop() {
  SqliteDb& db = *writer_db_;
  while (true) {
    std::vector<Job> jobs;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      jobs.swap(queue_);
    }
    std::vector<std::string> errors(jobs.size());
    std::string commit_error;
    try {
      step_kept(db, "BEGIN IMMEDIATE");
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (jobs[i].writes.empty()) continue;
        step_kept(db, "SAVEPOINT job");
        try {
          apply(db, jobs[i].writes);
          step_kept(db, "RELEASE job");
        } catch (const std::exception& e) {
          errors[i] = e.what();
          db.exec("ROLLBACK TO job; RELEASE job");
        }
      }
      step_kept(db, "COMMIT");
    } catch (const std::exception& e) {
      commit_error = e.what();
      if (sqlite3_get_autocommit(db.handle()) == 0) sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const std::string& error = commit_error.empty() ? errors[i] : commit_error;
      try {
        if (jobs[i].after) jobs[i].after(error);
      } catch (...) {
        // an answer that cannot be built must not stop the writer
      }
    }
  }
}

}  // namespace artery::fhir
