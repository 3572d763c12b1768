#include "store/key_pass.hpp"

#include "clock/unix_time.hpp"
#include "crypto/value_keys.hpp"
#include "log/logger.hpp"
#include "store/store_key_check.hpp"

#include <sqlite3.h>

#include <future>
#include <thread>

namespace artery {
namespace {

constexpr int chunk_messages = 256;

std::vector<std::string> old_key_names(const ValueCipher::Keys& keys) {
  std::vector<std::string> out;
  for (std::size_t i = 1; i < keys.keys.size(); ++i) out.push_back(crypto::key_id_text(keys.keys[i].id));
  return out;
}

}  // namespace

KeyPass::KeyPass(Parts parts) : parts_(std::move(parts)), sealed_stores_(parts_.db) {
  if (auto keys = parts_.cipher.keys()) status_.current_key = crypto::key_id_text(keys->current().id);
  // Plugins report through the cipher; they are stopped before the store closes.
  parts_.cipher.on_store_sealed(
      [this](const std::string& store, std::uint32_t key_id) { sealed_stores_.report(store, key_id); });
}

KeyPass::~KeyPass() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  parts_.cipher.on_store_sealed(nullptr);
}

bool KeyPass::wait_for_outside_stores(std::uint32_t current) {
  bool said = false;
  for (;;) {
    auto holding = sealed_stores_.holding(current);
    {
      std::lock_guard lock(mutex_);
      status_.waiting_for = holding;
    }
    if (holding.empty()) return true;
    if (!said) {
      std::string names;
      for (const auto& name : holding) names += (names.empty() ? "" : ", ") + name;
      logger::info("store", "key pass: the old keys stay readable until " + names +
                                " has re-sealed under key " + crypto::key_id_text(current) +
                                " (its channel re-seals within seconds of running)");
      said = true;
    }
    for (int i = 0; i < 10; ++i) {
      if (stopping_) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

template <class Op>
std::string KeyPass::submit_and_wait(Op op) {
  std::promise<std::string> result;
  auto future = result.get_future();
  if constexpr (std::is_same_v<Op, ResealChunkOp>) {
    auto inner = std::move(op.done);
    op.done = [&result, inner](std::int64_t last, std::int64_t looked, const std::string& error) {
      inner(last, looked, error);
      result.set_value(error);
    };
  } else {
    op.done = [&result](bool, const std::string& error) { result.set_value(error); };
  }
  parts_.writer.submit(std::move(op));
  return future.get();
}

void KeyPass::start(std::string reason) {
  if (thread_.joinable()) thread_.join();  // a finished pass
  const auto keys = parts_.cipher.keys();
  {
    std::lock_guard lock(mutex_);
    status_ = KeyPassStatus{};
    status_.state = "running";
    status_.reason = std::move(reason);
    status_.current_key = crypto::key_id_text(keys->current().id);
    status_.old_keys = old_key_names(*keys);
    status_.started_ms = unix_time_ms();
  }
  logger::info("store", "key pass started (" + status_.reason + "): sealing every stored value with key " +
                            status_.current_key);
  thread_ = std::thread([this] { run(); });
}

bool KeyPass::rotate(std::string& error) {
  const auto keys = parts_.cipher.keys();
  if (!keys) {
    error = "encryption is off (storage: {encrypt: true} turns it on)";
    return false;
  }
  if (parts_.keys_from_environment) {
    error = "the keys come from ARTERY_KEY: set ARTERY_KEY=<new key>,<old key> and restart; the engine then "
            "re-seals everything with the new key in the background";
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    if (status_.state == "running") {
      error = "a key pass is running (" + std::to_string(status_.messages_done) + " of " +
              std::to_string(status_.messages_total) + " messages)";
      return false;
    }
  }
  auto next = std::make_shared<ValueCipher::Keys>();
  next->keys.push_back(crypto::generate_value_key());
  for (const auto& key : keys->keys) next->keys.push_back(key);
  // The key file first: a crash after this leaves a file holding both keys,
  // which opens the store whatever was sealed since.
  if (!crypto::write_key_file(parts_.key_file, *next, error)) return false;
  const ValueCipher next_cipher(next);
  KeyTablesOp checks;
  checks.put_checks.push_back({next->current().id, key_check_value(next_cipher, next->current().id)});
  if (std::string failed = submit_and_wait(std::move(checks)); !failed.empty()) {
    error = "cannot record the new key in the store: " + failed;
    return false;
  }
  {
    std::unique_lock gate(parts_.gate);
    parts_.cipher.replace_keys(next);
  }
  // Everything sealed under the old key before the swap is queued ahead of
  // the pass's first chunk.
  if (std::string failed = submit_and_wait(KeyTablesOp{}); !failed.empty()) {
    error = failed;
    return false;
  }
  logger::info("store", "key rotation: key " + crypto::key_id_text(next->current().id) +
                            " is current; the old key stays readable until every value is re-sealed");
  start("rotate");
  return true;
}

KeyPassStatus KeyPass::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool KeyPass::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return finished_.wait_for(lock, timeout, [this] { return status_.state != "running"; });
}

void KeyPass::fail(const std::string& error) {
  logger::error("store", "key pass failed (it starts again at the next start): " + error);
  std::lock_guard lock(mutex_);
  status_.state = "failed";
  status_.error = error;
  status_.finished_ms = unix_time_ms();
  finished_.notify_all();
}

void KeyPass::run() {
  try {
    // After the key swap and a flush: everything above is sealed with the current key.
    const std::int64_t through = parts_.highest_id();
    const std::int64_t total = parts_.count_messages();
    {
      std::lock_guard lock(mutex_);
      status_.messages_total = total;
    }
    std::int64_t after = 0;
    while (!stopping_) {
      std::int64_t last = 0, looked = 0;
      ResealChunkOp op;
      op.after_id = after;
      op.through_id = through;
      op.limit = chunk_messages;
      op.done = [&](std::int64_t l, std::int64_t n, const std::string&) { last = l, looked = n; };
      if (std::string error = submit_and_wait(std::move(op)); !error.empty()) return fail(error);
      if (last == 0) break;
      after = last;
      std::lock_guard lock(mutex_);
      status_.messages_done += looked;
      status_.messages_total = std::max(status_.messages_total, status_.messages_done);
    }
    if (stopping_) return;
    KeyTablesOp values;
    values.reseal_values = true;
    if (std::string error = submit_and_wait(std::move(values)); !error.empty()) return fail(error);

    // Nor outside our store: a plugin's repository re-seals on its own
    // once it sees the new key.
    if (!wait_for_outside_stores(parts_.cipher.keys()->current().id)) return;

    // Nothing is sealed with the old keys any more: their check values go
    // first, then (a rotation) the key file forgets them.
    const auto keys = parts_.cipher.keys();
    KeyTablesOp forget;
    for (std::size_t i = 1; i < keys->keys.size(); ++i) forget.drop_checks.push_back(keys->keys[i].id);
    forget.completed_key = keys->current().id;
    forget.optimize_indexes = true;
    if (std::string error = submit_and_wait(std::move(forget)); !error.empty()) return fail(error);
    if (keys->keys.size() > 1) {
      auto only = std::make_shared<ValueCipher::Keys>();
      only->keys.push_back(keys->current());
      if (parts_.keys_from_environment) {
        logger::info("store", "key pass: nothing is sealed with the other keys in ARTERY_KEY any more; ARTERY_KEY "
                              "can be set to the current key alone");
      } else {
        std::string error;
        if (!crypto::write_key_file(parts_.key_file, *only, error)) return fail(error);
        std::unique_lock gate(parts_.gate);
        parts_.cipher.replace_keys(only);
      }
    }
    // Old plain or old-key pages in the WAL: checkpoint it and truncate it
    // (best effort: a reader holding the WAL makes it wait for next time).
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(parts_.db.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
      sqlite3_busy_timeout(db, 2000);
      sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    }
    sqlite3_close(db);
    std::lock_guard lock(mutex_);
    status_.state = "done";
    status_.old_keys.clear();
    status_.finished_ms = unix_time_ms();
    logger::info("store", "key pass done: " + std::to_string(status_.messages_done) +
                              " messages checked, every stored value is sealed with key " + status_.current_key);
    finished_.notify_all();
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

}  // namespace artery
