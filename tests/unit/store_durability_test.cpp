// MessageStore under concurrency and under a crash: every insert gets its own
// id, and every insert acknowledged by its callback survives SIGKILL.
#include "store/message_store.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace artery;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {


NewMessage numbered_message(const std::string& control_id) {
  NewMessage m;
  m.channel = "load";
  m.received_at_ms = 1700000000000;
  m.state = MessageState::queued;
  m.data_type = "HL7V2";
  m.raw = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|" + control_id + "|P|2.5\r" + std::string(600, 'x');
  m.message_type = "ADT^A01";
  m.control_id = control_id;
  m.destinations = {"out"};
  return m;
}

std::string integrity_check(const fs::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "cannot open";
  sqlite3_stmt* stmt = nullptr;
  std::string result = "cannot prepare";
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
    result = sqlite3_step(stmt) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)) : "";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

}  // namespace

TEST_CASE("store: 8 threads inserting concurrently get distinct ids and every row is stored", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  std::string error;
  auto store = MessageStore::open(file, Durability::normal, error);
  REQUIRE(store);

  constexpr int threads = 8;
  constexpr int per_thread = 2000;
  std::vector<std::vector<std::int64_t>> ids(threads, std::vector<std::int64_t>(per_thread, 0));
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto* slot = &ids[t][i];
        auto m = numbered_message(std::to_string(t) + ":" + std::to_string(i));
        if (i % 4 == 0) {
          // Every fourth insert waits for its commit, as an MLLP connection would.
          std::mutex m_mutex;
          std::condition_variable m_done;
          bool done = false;
          store->insert(std::move(m), [&](std::int64_t id, const std::string& e) {
            *slot = id;
            if (!e.empty()) ++failures;
            std::lock_guard lock(m_mutex);
            done = true;
            m_done.notify_one();
          });
          std::unique_lock lock(m_mutex);
          m_done.wait(lock, [&] { return done; });
        } else {
          store->insert(std::move(m), [slot, &failures](std::int64_t id, const std::string& e) {
            *slot = id;
            if (!e.empty()) ++failures;
          });
        }
      }
      store->flush();
    });
  }
  // Readers run beside the writers on their own connections.
  std::int64_t reads = 0;
  std::thread reader([&] {
    while (writing) {
      store->pending_count("load", "out");
      MessageQuery q;
      q.channel = "load";
      q.limit = 5;
      store->search(q);
      ++reads;
    }
  });
  for (auto& w : workers) w.join();
  writing = false;
  reader.join();
  CHECK(reads > 0);
  CHECK(failures == 0);

  std::set<std::int64_t> distinct;
  for (const auto& per : ids) {
    for (std::int64_t id : per) {
      CHECK(id > 0);
      distinct.insert(id);
    }
  }
  CHECK(distinct.size() == threads * per_thread);
  CHECK(store->pending_count("load", "out") == threads * per_thread);
  // Each id holds the message its thread inserted.
  for (int t = 0; t < threads; ++t) {
    for (int i : {0, 1, 777, per_thread - 1}) {
      auto record = store->get(ids[t][i]);
      REQUIRE(record);
      CHECK(record->control_id == std::to_string(t) + ":" + std::to_string(i));
    }
  }
}

TEST_CASE("store: every insert acknowledged before SIGKILL is in the store after reopening", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: insert as fast as possible with a bounded number in flight,
    // reporting each id on the pipe once its callback says it is committed.
    close(fds[0]);
    std::string error;
    auto store = MessageStore::open(file, Durability::normal, error);
    if (!store) _exit(2);
    std::mutex mutex;
    std::condition_variable room;
    int in_flight = 0;
    for (std::int64_t n = 0;; ++n) {
      {
        std::unique_lock lock(mutex);
        room.wait(lock, [&] { return in_flight < 64; });
        ++in_flight;
      }
      store->insert(numbered_message("crash-" + std::to_string(n)), [&](std::int64_t id, const std::string& e) {
        std::int64_t report = e.empty() ? id : -1;
        if (write(fds[1], &report, sizeof report) != sizeof report) _exit(3);
        std::lock_guard lock(mutex);
        --in_flight;
        room.notify_one();
      });
      if (n % 50 == 0) store->put_value("load", "last", std::to_string(n));
    }
  }

  close(fds[1]);
  std::vector<std::int64_t> acknowledged;
  auto read_one = [&]() {
    std::int64_t id = 0;
    std::size_t got = 0;
    while (got < sizeof id) {
      ssize_t r = read(fds[0], reinterpret_cast<char*>(&id) + got, sizeof id - got);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    acknowledged.push_back(id);
    return true;
  };
  while (acknowledged.size() < 5000 && read_one()) {
  }
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  while (read_one()) {
  }  // ids reported between our last read and the kill
  close(fds[0]);
  REQUIRE(acknowledged.size() >= 5000);

  std::string error;
  auto store = MessageStore::open(file, Durability::normal, error);
  INFO(error);
  REQUIRE(store);
  CHECK(integrity_check(file) == "ok");
  std::int64_t missing = 0, failed = 0, highest = 0;
  for (std::int64_t id : acknowledged) {
    if (id <= 0) {
      ++failed;
      continue;
    }
    highest = std::max(highest, id);
    auto record = store->get(id);
    if (!record || record->deliveries.size() != 1 || record->control_id.rfind("crash-", 0) != 0) ++missing;
  }
  CHECK(failed == 0);
  CHECK(missing == 0);
  CHECK(store->pending_count("load", "out") >= static_cast<std::int64_t>(acknowledged.size()));
  // The store keeps working after the crash and never reuses an acknowledged id.
  std::promise<std::int64_t> next;
  store->insert(numbered_message("after"), [&](std::int64_t id, const std::string&) { next.set_value(id); });
  CHECK(next.get_future().get() > highest);
}

TEST_CASE("store: the WAL file stays bounded under sustained writes", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  std::string error;
  auto store = MessageStore::open(file, Durability::normal, error);
  REQUIRE(store);
  // About 4 KiB of content per message: ~240 MiB of WAL frames in all,
  // several times the point where the writer must checkpoint itself.
  std::atomic<int> failures{0};
  for (int i = 0; i < 60000; ++i) {
    NewMessage m = numbered_message(std::to_string(i));
    m.raw += std::string(3000, static_cast<char>('a' + i % 26));
    store->insert(std::move(m), [&](std::int64_t id, const std::string& e) {
      if (!e.empty()) ++failures;
    });
  }
  store->flush();
  CHECK(failures == 0);
  // A WAL file never shrinks on its own: its size is the high-water mark.
  auto wal_size = fs::file_size(file.string() + "-wal");
  INFO("WAL high-water mark: " << wal_size << " bytes");
  CHECK(wal_size < 100u * 1024 * 1024);
  CHECK(fs::file_size(file) > 200u * 1024 * 1024);  // the content went to the database
}
