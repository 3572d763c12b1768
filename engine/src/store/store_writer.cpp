#include "store/store_writer.hpp"

#include "clock/unix_time.hpp"

#include "log/logger.hpp"
#include "store/sealed_values.hpp"

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <limits>
#include <unordered_map>

namespace artery {
namespace {

void bind_state(sqlite::Statement& statement, int index, MessageState state) {
  statement.bind_text(index, to_string(state));
}

template <class T>
void bind_optional_blob(sqlite::Statement& statement, int index, const std::optional<T>& value) {
  if (value) {
    statement.bind_blob(index, *value);
  } else {
    statement.bind_null(index);  // coalesce() in the UPDATE keeps the stored value
  }
}

// A sealed value is binary (a BLOB); a plain one stays TEXT, so a store
// without encryption reads as before in the sqlite3 shell, with LIKE and
// json_extract (SQLite's LIKE does not match inside a BLOB).
void bind_stored(sqlite::Statement& statement, int index, std::string_view value) {
  if (ValueCipher::disabled().is_sealed(value)) {
    statement.bind_blob(index, value);
  } else {
    statement.bind_text(index, value);
  }
}

// Runs a user callback; an exception from it must not kill the writer thread.
template <class F>
void run_callback(F&& call) {
  try {
    call();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "artery store: a write callback threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "artery store: a write callback threw\n");
  }
}

constexpr const char* prune_threshold_sql =
    "SELECT id FROM messages WHERE channel = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2";
constexpr const char* prune_clear_sql = "DELETE FROM temp.prune_ids";
// Age: ids follow arrival, so the channel's messages are walked oldest first
// up to its first message young enough to keep (no index on received_at).
constexpr const char* prune_age_boundary_sql =
    "SELECT id FROM messages WHERE channel = ?1 AND received_at >= ?2 ORDER BY id LIMIT 1";
constexpr const char* prune_by_age_sql =
    "INSERT INTO temp.prune_ids SELECT id FROM messages m WHERE channel = ?1 AND id < ?2 AND received_at < ?3 "
    "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state = 'QUEUED') "
    "ORDER BY id LIMIT ?4";
constexpr const char* record_id_floor_sql =
    "INSERT INTO store_meta (key, value) VALUES ('id_floor', ?1) "
    "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)";
constexpr const char* record_intake_applied_sql =
    "INSERT INTO store_meta (key, value) VALUES ('intake_applied', ?1) "
    "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)";
constexpr const char* prune_by_count_sql =
    "INSERT INTO temp.prune_ids SELECT id FROM messages m WHERE channel = ?1 AND id <= ?2 "
    "AND id NOT IN temp.prune_ids "
    "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state = 'QUEUED') "
    "ORDER BY id LIMIT ?3";
constexpr const char* prune_deliveries_sql = "DELETE FROM deliveries WHERE message_id IN temp.prune_ids";
constexpr const char* prune_messages_sql = "DELETE FROM messages WHERE id IN temp.prune_ids";

constexpr auto counters_linger = std::chrono::milliseconds(50);
// How long the writer stays awake for the next write after a commit.
constexpr auto idle_spin = std::chrono::microseconds(50);
// After a failed transaction, the writes nobody waits for are tried again after this.
constexpr auto retry_pause = std::chrono::milliseconds(100);

}  // namespace

// The hot-path statements, prepared once on the writer's connection.
struct StoreWriter::Statements {
  explicit Statements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        insert_message(db,
                       "INSERT INTO messages (channel, received_at, state, data_type, raw, transformed, "
                       "message_type, control_id, patient_id, error, vars_json, attributes_json, id, transformed_type, "
                       "origin_channel, origin_message_id, key_id, patient_sealed) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"),
        insert_delivery(db,
                        "INSERT INTO deliveries (message_id, channel, destination, seq, state, attempts, "
                        "next_attempt_at, sent_content, response, error, updated_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        update_delivery(db,
                        "UPDATE deliveries SET state = ?3, attempts = ?4, next_attempt_at = ?5, "
                        "sent_content = coalesce(?6, sent_content), response = coalesce(?7, response), "
                        "error = coalesce(?8, error), updated_at = ?9 "
                        "WHERE message_id = ?1 AND destination = ?2"),
        // The message's state follows its deliveries: any QUEUED -> QUEUED,
        // else any ERROR -> ERROR, else any SENT -> SENT, else FILTERED.
        roll_up_message_state(db,
                              "UPDATE messages SET state = (SELECT CASE "
                              "WHEN max(state = 'QUEUED') THEN 'QUEUED' WHEN max(state = 'ERROR') THEN 'ERROR' "
                              "WHEN max(state = 'SENT') THEN 'SENT' ELSE 'FILTERED' END "
                              "FROM deliveries WHERE message_id = ?1) WHERE id = ?1"),
        put_value(db,
                  "INSERT INTO kv (channel, key, value) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value"),
        erase_value(db, "DELETE FROM kv WHERE channel = ?1 AND key = ?2"),
        add_counters(db,
                     "INSERT INTO counters (channel, destination, received, filtered, queued, sent, errored) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (channel, destination) DO UPDATE SET "
                     "received = received + excluded.received, filtered = filtered + excluded.filtered, "
                     "queued = queued + excluded.queued, sent = sent + excluded.sent, "
                     "errored = errored + excluded.errored"),
        record_intake_applied(db, record_intake_applied_sql) {}

  sqlite::Statement begin, commit, insert_message, insert_delivery, update_delivery, roll_up_message_state,
      put_value, erase_value, add_counters, record_intake_applied;
};

StoreWriter::StoreWriter(std::unique_ptr<sqlite::Connection> connection, const std::filesystem::path& file,
                         Durability durability, Applied applied, const ValueCipher* cipher)
    : cipher_(cipher ? cipher : &ValueCipher::disabled()), connection_(std::move(connection)),
      applied_(std::move(applied)) {
  connection_->exec("CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)");
  statements_ = std::make_unique<Statements>(connection_->handle());
  {
    sqlite::Statement highest(connection_->handle(),
                              "SELECT max(coalesce((SELECT max(id) FROM messages), 0), "
                              "coalesce((SELECT value FROM store_meta WHERE key = 'id_floor'), 0))");
    if (highest.step()) next_id_ = highest.int64_at(0) + 1;
  }
  {
    sqlite::Statement intake(connection_->handle(), "SELECT value FROM store_meta WHERE key = 'intake_applied'");
    if (intake.step()) intake_applied_ = intake.int64_at(0);
  }
  indexer_ = std::make_unique<SearchIndexer>(*connection_, *cipher_);
  indexer_->committed(next_id_ - 1);  // a backfill (upgraded store) or a tail left by the last run
  checkpointer_ = std::make_unique<WalCheckpointer>(connection_->handle(), file, durability == Durability::fsync);
  queue_.reserve(max_batch);
  thread_ = std::thread([this] { run(); });
}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  room_.notify_all();
  thread_.join();
  checkpointer_.reset();  // before the writer connection closes
}

bool StoreWriter::urgent(const WriteOp& op) {
  return std::visit(
      [](const auto& typed) {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, InsertMessageOp>) return typed.message.id == 0;  // else acknowledged already
        else if constexpr (std::is_same_v<T, FlushOp> || std::is_same_v<T, PruneChunkOp> ||
                           std::is_same_v<T, ResealChunkOp>)
          return true;
        else return bool(typed.done);
      },
      op);
}

// After a failed transaction: what is tried again rather than failed to its
// caller. An intake record is acknowledged already and must be applied.
bool StoreWriter::retryable(const WriteOp& op) {
  return std::visit(
      [](const auto& typed) {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, InsertMessageOp>) return typed.message.id > 0 || !typed.done;
        else if constexpr (std::is_same_v<T, FlushOp> || std::is_same_v<T, PruneChunkOp> ||
                           std::is_same_v<T, ResealChunkOp>)
          return false;
        else return !typed.done;
      },
      op);
}

void StoreWriter::submit(WriteOp op) {
  bool wake = false;
  {
    std::unique_lock lock(mutex_);
    const bool now = urgent(op);
    if (!now && queue_.size() >= max_queued && !on_writer_thread()) {
      ++waiting_for_room_;
      room_.wait(lock, [this] { return queue_.size() < max_queued || stopping_; });
      --waiting_for_room_;
    }
    queue_.push_back(std::move(op));
    queued_.store(true, std::memory_order_release);
    // A lingering writer is woken only when its wait should end, not per write.
    wake = queue_.size() == 1 || (now && !urgent_) || queue_.size() == linger_batch;
    urgent_ = urgent_ || now;
  }
  if (wake) wake_.notify_one();
}

void StoreWriter::add_counters(const CounterDelta& delta) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = counters_.empty();
    Counters& sum = counters_[CounterKey(delta.channel, delta.destination)];
    sum.received += delta.delta.received;
    sum.filtered += delta.delta.filtered;
    sum.queued += delta.delta.queued;
    sum.sent += delta.delta.sent;
    sum.errored += delta.delta.errored;
  }
  // Only the first delta since the last commit wakes the writer, which then
  // lets it linger for a batch to ride with (see run()).
  if (first) wake_.notify_one();
}

void StoreWriter::run() {
  std::vector<WriteOp> batch;
  batch.reserve(max_batch);
  CounterMap counters;
  std::size_t last_batch = 0;
  bool last_urgent = false;  // somebody waited for the last commit
  for (;;) {
    // A closed-loop producer waiting for its commit (durability fsync) sends
    // its next write a few tens of microseconds after our callback: wait for
    // it awake, briefly, rather than pay a sleep and a wake-up per commit.
    // Nobody waits for intake records, so for them the CPU is not spent.
    const auto spin_until = std::chrono::steady_clock::now() + idle_spin;
    while (last_urgent && !queued_.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < spin_until) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    {
      std::unique_lock lock(mutex_);
      auto work = [this] { return stopping_ || !queue_.empty() || !counters_.empty(); };
      if (auto deadline = indexer_->deadline()) {
        if (!wake_.wait_until(lock, *deadline, work)) {
          // Idle with messages to index: index them now.
          lock.unlock();
          indexer_->run();
          continue;
        }
      } else {
        wake_.wait(lock, work);
      }
      if (queue_.empty() && !stopping_) {
        // Counter deltas alone are not worth a commit of their own straight
        // away; they wait a little for a batch to join, then go by themselves.
        wake_.wait_for(lock, counters_linger, [this] { return stopping_ || !queue_.empty(); });
      }
      if (!queue_.empty() && !urgent_ && !stopping_ && queue_.size() < linger_batch) {
        // Nobody waits for these: let more join them in one transaction.
        wake_.wait_for(lock, linger, [this] { return stopping_ || urgent_ || queue_.size() >= linger_batch; });
      }
      if (queue_.empty() && counters_.empty()) return;  // stopping, and everything is committed
      if (urgent_ && queue_.size() < last_batch && !stopping_) {
        // The callbacks of the last batch just woke more producers than have
        // submitted again. Give them the CPU once (no timer: this returns at
        // once when a core is free) so that their writes share this commit.
        lock.unlock();
        std::this_thread::yield();
        lock.lock();
      }
      const auto limit = static_cast<std::ptrdiff_t>(batch_limit_);
      if (queue_.size() <= batch_limit_) {
        batch.swap(queue_);  // the two vectors trade buffers, so neither reallocates
      } else {
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + limit));
        queue_.erase(queue_.begin(), queue_.begin() + limit);
      }
      counters.swap(counters_);
      queued_.store(!queue_.empty(), std::memory_order_relaxed);
      last_urgent = urgent_;
      urgent_ = urgent_ && !queue_.empty();  // what is left over may still hold one
      if (waiting_for_room_ > 0) room_.notify_all();
    }
    commit(batch, counters);
    if (given_up_) return;
    // Between batches, never inside one: the acknowledged writes queued
    // meanwhile wait at most one index transaction.
    if (indexer_->due(SearchIndexer::Clock::now())) indexer_->run();
    last_batch = batch.size();
    batch.clear();
    counters.clear();
  }
}

void StoreWriter::commit(std::vector<WriteOp>& batch, CounterMap& counters) {
  fold_updates(batch);
  std::vector<Outcome> outcomes(batch.size());
  batch_intake_ = 0;
  try {
    {
      sqlite::StatementUse begin(statements_->begin);
      begin->run();
    }
    try {
      for (std::size_t i = 0; i < batch.size(); ++i) outcomes[i] = apply(batch[i]);
      write_counters(counters);
      if (batch_intake_ > intake_applied_) {
        sqlite::StatementUse record(statements_->record_intake_applied);
        record->bind(1, batch_intake_);
        record->run();
      }
      sqlite::StatementUse commit(statements_->commit);
      commit->run();
    } catch (...) {
      // SQLite may already have rolled back; then this fails harmlessly.
      sqlite3_exec(connection_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } catch (const std::exception& e) {
    std::string error = std::string("store write failed: ") + e.what();
    {
      // The deltas are not lost: they go back for the next transaction.
      std::lock_guard lock(mutex_);
      for (const auto& [key, delta] : counters) {
        Counters& sum = counters_[key];
        sum.received += delta.received;
        sum.filtered += delta.filtered;
        sum.queued += delta.queued;
        sum.sent += delta.sent;
        sum.errored += delta.errored;
      }
    }
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      stopping = stopping_;
    }
    if (stopping) {
      give_up(batch, error);
      return;
    }
    // Writes nobody waits for (above all, messages already acknowledged from
    // the intake log) are tried again; the others fail to their callers.
    std::vector<WriteOp> again;
    for (WriteOp& op : batch) {
      if (retryable(op)) {
        again.push_back(std::move(op));
      } else {
        fail(op, error);
      }
    }
    if (!again.empty()) {
      // Through the logger: on a full disk this repeats every retry_pause,
      // and the logger summarises repeats.
      logger::error("store", error + "; " + std::to_string(again.size()) + " writes will be tried again");
      // Smaller transactions next: on a disk that was full, one batch grown
      // by everything acknowledged meanwhile may never fit again, while
      // its halves do as soon as some space returns.
      batch_limit_ = std::max<std::size_t>(1, again.size() / 2);
      std::this_thread::sleep_for(retry_pause);
      std::vector<WriteOp> flushes;
      {
        std::lock_guard lock(mutex_);
        queue_.insert(queue_.begin(), std::make_move_iterator(again.begin()), std::make_move_iterator(again.end()));
        queued_.store(true, std::memory_order_release);
        // A flush promises only that the attempt is over. Queued behind
        // writes that now go in smaller batches, it would wait for as long
        // as the disk stays full (an engine stopping then never stops):
        // answer it now, as when it shared the failed batch.
        for (auto it = queue_.begin(); it != queue_.end();) {
          if (std::holds_alternative<FlushOp>(*it)) {
            flushes.push_back(std::move(*it));
            it = queue_.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (WriteOp& op : flushes) fail(op, error);
    }
    return;
  }
  indexer_->committed(next_id_ - 1);
  batch_limit_ = std::min(max_batch, batch_limit_ * 2);
  StoreWriterTotals::transactions.fetch_add(1, std::memory_order_relaxed);
  StoreWriterTotals::operations.fetch_add(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
  if (batch_intake_ > intake_applied_) {
    intake_applied_ = batch_intake_;
    if (applied_) run_callback([&] { applied_(intake_applied_); });
  }
  for (std::size_t i = 0; i < batch.size(); ++i) finish(batch[i], outcomes[i]);
}

// A commit failed while stopping: everything still queued fails too, and
// nothing more commits. Intake records stay in their log, not marked applied
// (a later commit of higher ids would mark them), and are applied at the next start.
void StoreWriter::give_up(std::vector<WriteOp>& batch, const std::string& error) {
  std::vector<WriteOp> rest;
  {
    std::lock_guard lock(mutex_);
    rest.swap(queue_);
    queued_.store(false, std::memory_order_relaxed);
    given_up_ = true;
  }
  std::fprintf(stderr, "artery store: %s while stopping; %zu writes not committed (intake records are kept)\n",
               error.c_str(), batch.size() + rest.size());
  for (WriteOp& op : batch) fail(op, error);
  for (WriteOp& op : rest) fail(op, error);
}

void StoreWriter::fold_updates(std::vector<WriteOp>& batch) {
  // A destination usually delivers within the writer's linger, so a
  // message's insert and its delivery's update share a batch: one row
  // written in its final state costs a third of insert + update + roll-up.
  std::unordered_map<std::int64_t, InsertMessageOp*> inserts;
  // An update somebody waits for is applied on its own; later updates of the
  // same message then must not be folded ahead of it.
  for (const WriteOp& op : batch)
    if (auto* update = std::get_if<UpdateDeliveryOp>(&op); update && update->done)
      inserts.emplace(update->update.message_id, nullptr);
  for (WriteOp& op : batch) {
    if (auto* insert = std::get_if<InsertMessageOp>(&op)) {
      if (insert->message.id > intake_applied_ && !insert->message.destinations.empty())
        inserts.emplace(insert->message.id, insert);  // not replacing a nullptr: that message is not folded
    } else if (auto* update = std::get_if<UpdateDeliveryOp>(&op); update && !update->done && !inserts.empty()) {
      auto it = inserts.find(update->update.message_id);
      if (it == inserts.end() || it->second == nullptr) continue;
      const auto& names = it->second->message.destinations;
      if (std::find(names.begin(), names.end(), update->update.destination) == names.end()) continue;
      it->second->folded.push_back(std::move(update->update));
      op = FlushOp{};  // done, with nothing to call back
      StoreWriterTotals::folded_updates.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

StoreWriter::Outcome StoreWriter::apply(WriteOp& op) {
  return std::visit([this](auto& typed) { return apply(typed); }, op);
}

StoreWriter::Outcome StoreWriter::apply(InsertMessageOp& op) {
  if (op.message.id == 0 && op.assigned_id == 0) {
    // durability fsync: no intake record, so the id and the seal are ours,
    // both once: after a failed transaction the batch is applied again.
    op.assigned_id = next_id_++;
    op.message.id = op.assigned_id;
    sealed::seal_message(*cipher_, op.message);
    op.message.id = 0;
  }
  const NewMessage& m = op.message;
  if (m.id > 0) {
    if (m.id <= intake_applied_) return {m.id, {}};  // applied before a crash, replayed from the intake log
    batch_intake_ = std::max(batch_intake_, m.id);
  }
  // The deliveries as their folded updates leave them, applied in order as
  // the UPDATE would (content columns keep their last non-null value).
  std::vector<DeliveryUpdate> rows(m.destinations.size());
  for (const DeliveryUpdate& u : op.folded) {
    auto at = std::find(m.destinations.begin(), m.destinations.end(), u.destination) - m.destinations.begin();
    DeliveryUpdate& row = rows[static_cast<std::size_t>(at)];
    row.state = u.state;
    row.attempts = u.attempts;
    row.next_attempt_ms = u.next_attempt_ms;
    // Copied: after a failed transaction the batch is applied again.
    if (u.sent_content) row.sent_content = u.sent_content;
    if (u.response) row.response = u.response;
    if (u.error) row.error = u.error;
  }
  MessageState state = m.state;
  if (!op.folded.empty() && state == MessageState::queued) {
    // roll_up_message_state's rule, on the rows about to be written.
    auto any = [&](MessageState s) {
      return std::any_of(rows.begin(), rows.end(), [&](const DeliveryUpdate& r) { return r.state == s; });
    };
    state = any(MessageState::queued)  ? MessageState::queued
            : any(MessageState::error) ? MessageState::error
            : any(MessageState::sent)  ? MessageState::sent
                                       : MessageState::filtered;
  }
  // MessageStore::insert has refused a message listing a destination twice:
  // the primary key's failure would roll back every other write in the batch.
  const std::int64_t id = m.id > 0 ? m.id : op.assigned_id;
  {
    sqlite::StatementUse insert(statements_->insert_message);
    insert->bind_text(1, m.channel);
    insert->bind(2, m.received_at_ms);
    bind_state(*insert, 3, state);
    insert->bind_text(4, m.data_type);
    insert->bind_blob(5, m.raw);
    insert->bind_blob(6, m.transformed);
    insert->bind_text(7, m.message_type);
    insert->bind_text(8, m.control_id);
    insert->bind_text(9, m.patient_id);
    bind_stored(*insert, 10, m.error);
    bind_stored(*insert, 11, m.vars_json);
    bind_stored(*insert, 12, m.attributes_json);
    insert->bind(13, id);
    insert->bind_text(14, m.transformed_type);
    insert->bind_text(15, m.origin_channel);
    insert->bind(16, m.origin_message_id);
    insert->bind(17, static_cast<std::int64_t>(sealed::key_id_of(m.raw)));
    insert->bind_blob(18, m.patient_sealed);
    insert->run();
    next_id_ = std::max(next_id_, id + 1);  // a rolled-back batch leaves a gap, never a reused id
  }
  const std::int64_t now = rows.empty() ? 0 : unix_time_ms();
  for (std::size_t seq = 0; seq < rows.size(); ++seq) {
    DeliveryUpdate& row = rows[seq];
    // A delivery with content of its own keeps it in sent_content, unless an
    // update folded in already says what was sent.
    if (!row.sent_content && seq < m.delivery_contents.size() && !m.delivery_contents[seq].empty())
      row.sent_content = m.delivery_contents[seq];
    sqlite::StatementUse insert(statements_->insert_delivery);
    insert->bind(1, id);
    insert->bind_text(2, m.channel);
    insert->bind_text(3, m.destinations[seq]);
    insert->bind(4, static_cast<std::int64_t>(seq));
    bind_state(*insert, 5, row.state);
    insert->bind(6, row.attempts);
    insert->bind(7, row.next_attempt_ms);
    bind_optional_blob(*insert, 8, row.sent_content);
    bind_optional_blob(*insert, 9, row.response);
    if (row.error) {
      bind_stored(*insert, 10, *row.error);
    } else {
      insert->bind_null(10);
    }
    insert->bind(11, now);
    insert->run();
  }
  return {id, {}};
}

StoreWriter::Outcome StoreWriter::apply(UpdateDeliveryOp& op) {
  const DeliveryUpdate& u = op.update;
  {
    sqlite::StatementUse update(statements_->update_delivery);
    update->bind(1, u.message_id);
    update->bind_text(2, u.destination);
    bind_state(*update, 3, u.state);
    update->bind(4, u.attempts);
    update->bind(5, u.next_attempt_ms);
    bind_optional_blob(*update, 6, u.sent_content);
    bind_optional_blob(*update, 7, u.response);
    if (u.error) {
      bind_stored(*update, 8, *u.error);
    } else {
      update->bind_null(8);
    }
    update->bind(9, unix_time_ms());
    update->run();
  }
  if (connection_->changes() == 0) {
    return {0, "no delivery of message " + std::to_string(u.message_id) + " to destination '" + u.destination + "'"};
  }
  sqlite::StatementUse roll_up(statements_->roll_up_message_state);
  roll_up->bind(1, u.message_id);
  roll_up->run();
  return {};
}

StoreWriter::Outcome StoreWriter::apply(PutValueOp& op) {
  sqlite::StatementUse put(statements_->put_value);
  put->bind_text(1, op.channel);
  put->bind_text(2, op.key);
  put->bind_blob(3, op.value);
  put->run();
  return {};
}

StoreWriter::Outcome StoreWriter::apply(EraseValueOp& op) {
  sqlite::StatementUse erase(statements_->erase_value);
  erase->bind_text(1, op.channel);
  erase->bind_text(2, op.key);
  erase->run();
  return {};
}

StoreWriter::Outcome StoreWriter::apply(PruneChunkOp& op) {
  sqlite::StatementUse(connection_->statement(prune_clear_sql))->run();
  std::int64_t selected = 0;
  if (op.older_than_ms) {
    std::int64_t boundary = std::numeric_limits<std::int64_t>::max();
    {
      sqlite::StatementUse find(connection_->statement(prune_age_boundary_sql));
      find->bind_text(1, op.channel);
      find->bind(2, *op.older_than_ms);
      if (find->step()) boundary = find->int64_at(0);
    }
    sqlite::StatementUse select(connection_->statement(prune_by_age_sql));
    select->bind_text(1, op.channel);
    select->bind(2, boundary);
    select->bind(3, *op.older_than_ms);
    select->bind(4, op.limit);
    select->run();
    selected += connection_->changes();
  }
  if (op.keep_newest && selected < op.limit) {
    std::int64_t threshold = 0;  // the newest id that may go; ids start at 1
    {
      sqlite::StatementUse find(connection_->statement(prune_threshold_sql));
      find->bind_text(1, op.channel);
      find->bind(2, *op.keep_newest);
      if (find->step()) threshold = find->int64_at(0);
    }
    if (threshold > 0) {
      sqlite::StatementUse select(connection_->statement(prune_by_count_sql));
      select->bind_text(1, op.channel);
      select->bind(2, threshold);
      select->bind(3, op.limit - selected);
      select->run();
      selected += connection_->changes();
    }
  }
  if (selected == 0) return {0, {}};
  {
    sqlite::StatementUse record(connection_->statement(record_id_floor_sql));
    record->bind(1, next_id_ - 1);
    record->run();
  }
  indexer_->forget_pruned();
  sqlite::StatementUse(connection_->statement(prune_deliveries_sql))->run();
  sqlite::StatementUse(connection_->statement(prune_messages_sql))->run();
  return {connection_->changes(), {}};
}

void StoreWriter::write_counters(const CounterMap& counters) {
  for (const auto& [key, delta] : counters) {
    sqlite::StatementUse add(statements_->add_counters);
    add->bind_text(1, key.first);
    add->bind_text(2, key.second);
    add->bind(3, delta.received);
    add->bind(4, delta.filtered);
    add->bind(5, delta.queued);
    add->bind(6, delta.sent);
    add->bind(7, delta.errored);
    add->run();
  }
}

void StoreWriter::finish(WriteOp& op, const Outcome& outcome) {
  run_callback([&] {
    std::visit(
        [&](auto& typed) {
          using T = std::decay_t<decltype(typed)>;
          if constexpr (std::is_same_v<T, InsertMessageOp>) {
            if (typed.done) typed.done(outcome.value, outcome.error);
          } else if constexpr (std::is_same_v<T, PruneChunkOp>) {
            if (typed.done) typed.done(outcome.value, outcome.error);
          } else if constexpr (std::is_same_v<T, FlushOp>) {
            if (typed.done) typed.done();
          } else if constexpr (std::is_same_v<T, ResealChunkOp>) {
            if (typed.done) typed.done(outcome.value, outcome.changed, outcome.error);
          } else {
            if (typed.done) typed.done(outcome.error.empty(), outcome.error);
          }
        },
        op);
  });
}

void StoreWriter::fail(WriteOp& op, const std::string& error) {
  run_callback([&] {
    std::visit(
        [&](auto& typed) {
          using T = std::decay_t<decltype(typed)>;
          if constexpr (std::is_same_v<T, InsertMessageOp> || std::is_same_v<T, PruneChunkOp>) {
            if (typed.done) typed.done(0, error);
          } else if constexpr (std::is_same_v<T, FlushOp>) {
            if (typed.done) typed.done();  // flush only promises the attempt is over
          } else if constexpr (std::is_same_v<T, ResealChunkOp>) {
            if (typed.done) typed.done(0, 0, error);
          } else {
            if (typed.done) typed.done(false, error);
          }
        },
        op);
  });
}

}  // namespace artery
