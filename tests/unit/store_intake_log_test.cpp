// The intake log: records survive a crash and are applied at the next open,
// exactly once; a record torn by the crash is recognised and dropped; a
// second engine cannot open a store in use.
#include "store/intake_log.hpp"
#include "store/intake_record.hpp"
#include "store/message_store.hpp"

#include "support/engine_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>

using namespace artery;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {

NewMessage sample(std::int64_t id, const std::string& control_id) {
  NewMessage m;
  m.id = id;
  m.channel = "lab";
  m.received_at_ms = 1763700000000;
  m.state = MessageState::queued;
  m.data_type = "HL7V2";
  m.raw = "MSH|^~\\&|A|B|C|D|20261121||ORU^R01|" + control_id + "|P|2.5\rPID|1||42\r";
  m.transformed = std::string("{\"k\":\"\xc3\xa9\"}");
  m.transformed_type = "json";
  m.message_type = "ORU^R01";
  m.control_id = control_id;
  m.patient_id = "42";
  m.vars_json = "{\"patient_id\":\"42\"}";
  m.destinations = {"files", "archive"};
  return m;
}

std::vector<fs::path> segments(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".log") out.push_back(entry.path());
  return out;
}

// Runs `body` in a child process. `body` ends with _exit(), so that no
// destructor runs, as after a crash.
void in_crashing_child(const std::function<void()>& body) {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

// The store as the crashing child opens it: any failure ends the child.
std::unique_ptr<MessageStore> open_in_child(const fs::path& file) {
  std::string error;
  auto store = MessageStore::open(file, Durability::normal, error);
  if (!store) _exit(2);
  return store;
}

// The store opened again after the crash, which replays its intake log.
std::unique_ptr<MessageStore> reopen(const fs::path& file) {
  std::string error;
  auto store = MessageStore::open(file, Durability::normal, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

}  // namespace

TEST_CASE("intake record: encodes and decodes every field", "[store][intake]") {
  std::string bytes;
  intake_record::encode(sample(7, "C7"), bytes);
  intake_record::encode(sample(8, "C8"), bytes);
  NewMessage read;
  std::size_t size = 0;
  REQUIRE(intake_record::decode(bytes, read, size) == intake_record::Read::ok);
  CHECK(read.id == 7);
  CHECK(read.control_id == "C7");
  CHECK(read.raw == sample(7, "C7").raw);
  CHECK(read.transformed == sample(7, "C7").transformed);
  CHECK(read.transformed_type == "json");
  CHECK(read.state == MessageState::queued);
  CHECK(read.received_at_ms == 1763700000000);
  CHECK(read.destinations == std::vector<std::string>{"files", "archive"});
  std::string_view rest = std::string_view(bytes).substr(size);
  REQUIRE(intake_record::decode(rest, read, size) == intake_record::Read::ok);
  CHECK(read.id == 8);
  CHECK(intake_record::decode(rest.substr(size), read, size) == intake_record::Read::end);
}

TEST_CASE("intake record: a torn or altered record is damaged, never a message", "[store][intake]") {
  std::string bytes;
  intake_record::encode(sample(1, "TORN"), bytes);
  NewMessage read;
  std::size_t size = 0;
  for (std::size_t cut = 1; cut < bytes.size(); ++cut)
    REQUIRE(intake_record::decode(std::string_view(bytes).substr(0, cut), read, size) == intake_record::Read::damaged);
  for (std::size_t at = 0; at < bytes.size(); at += 7) {
    std::string altered = bytes;
    altered[at] = static_cast<char>(altered[at] ^ 0x20);
    REQUIRE(intake_record::decode(altered, read, size) == intake_record::Read::damaged);
  }
}

TEST_CASE("intake log: an acknowledged message survives a crash before the writer applied it", "[store][intake]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  in_crashing_child([&] {
    auto store = open_in_child(file);
    std::int64_t acknowledged = 0;
    store->insert(sample(0, "ACKED"), [&](std::int64_t id, const std::string& e) {
      if (e.empty()) acknowledged = id;
    });
    // The writer waits up to a millisecond for company: this exit beats it.
    _exit(acknowledged == 1 ? 0 : 3);
  });
  REQUIRE(segments(file.string() + "-intake").size() == 1);
  CHECK(fs::file_size(segments(file.string() + "-intake").front()) > 0);

  auto store = reopen(file);
  auto record = store->get(1);
  REQUIRE(record);
  CHECK(record->control_id == "ACKED");
  CHECK(record->transformed_type == "json");
  REQUIRE(record->deliveries.size() == 2);
  CHECK(record->deliveries[0].destination == "files");
  CHECK(record->deliveries[0].state == MessageState::queued);
  CHECK(store->pending_count("lab", "archive") == 1);
  // The replayed segment is gone once applied (a new one comes with the next
  // message); the next id follows on.
  CHECK(segments(file.string() + "-intake").empty());
  std::promise<std::int64_t> next;
  store->insert(sample(0, "NEXT"), [&](std::int64_t id, const std::string&) { next.set_value(id); });
  CHECK(next.get_future().get() == 2);
}

TEST_CASE("intake log: records are applied once, even when the log outlives its commit", "[store][intake]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto intake = fs::path(file.string() + "-intake");
  in_crashing_child([&] {
    auto store = open_in_child(file);
    for (int i = 0; i < 3; ++i) store->insert(sample(0, "M" + std::to_string(i)), {});
    store->flush();  // applied to SQLite; the crash leaves their segment behind
    _exit(0);
  });
  REQUIRE(segments(intake).size() == 1);
  auto store = reopen(file);
  MessageQuery all;
  all.channel = "lab";
  CHECK(store->search(all).size() == 3);
}

TEST_CASE("intake log: a record cut short by a crash is dropped and the log goes on", "[store][intake]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto intake = fs::path(file.string() + "-intake");
  in_crashing_child([&] {
    auto store = open_in_child(file);
    store->insert(sample(0, "WHOLE"), {});
    _exit(0);
  });
  {
    // Half of a second record, as a write interrupted by the crash leaves it.
    std::string torn;
    intake_record::encode(sample(2, "TORN"), torn);
    // Segments are preallocated: the record goes where the zeros begin.
    std::string existing = artery::testing::read_text(segments(intake).front());
    existing.replace(existing.find_last_not_of('\0') + 1, torn.size() / 2, torn.substr(0, torn.size() / 2));
    artery::testing::write_text(segments(intake).front(), existing);
  }
  auto store = reopen(file);
  MessageQuery all;
  all.channel = "lab";
  auto rows = store->search(all);
  REQUIRE(rows.size() == 1);
  CHECK(rows.front().control_id == "WHOLE");
  std::promise<std::int64_t> next;
  store->insert(sample(0, "AFTER"), [&](std::int64_t id, const std::string&) { next.set_value(id); });
  CHECK(next.get_future().get() == 2);
  store->flush();
  CHECK(store->search(all).size() == 2);
}

TEST_CASE("intake log: segments rotate, applied ones are deleted, and all survive a crash", "[store][intake]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto intake = fs::path(file.string() + "-intake");
  // ~1.1 KB records: 40,000 of them fill more than one 32 MiB segment.
  constexpr int count = 40000;
  in_crashing_child([&] {
    auto store = open_in_child(file);
    for (int i = 0; i < count; ++i) {
      NewMessage m = sample(0, "R" + std::to_string(i));
      m.raw += std::string(1000, 'x');
      store->insert(std::move(m), {});
    }
    store->flush();
    // Every full segment is applied by now, so only the current one is left.
    if (segments(intake).size() != 1) _exit(4);
    for (int i = 0; i < 100; ++i) store->insert(sample(0, "TAIL" + std::to_string(i)), {});
    _exit(0);
  });
  auto store = reopen(file);
  CHECK(store->pending_count("lab", "files") == count + 100);
  MessageQuery tail;
  tail.channel = "lab";
  tail.limit = 1;
  auto newest = store->search(tail);
  REQUIRE(newest.size() == 1);
  CHECK(newest.front().control_id == "TAIL99");
  CHECK(newest.front().id == count + 100);
}

TEST_CASE("intake log: a second engine cannot open a store in use", "[store][intake]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  std::string error;
  auto first = MessageStore::open(file, Durability::normal, error);
  REQUIRE(first);
  CHECK_FALSE(MessageStore::open(file, Durability::normal, error));
  CHECK(error.find("in use by another engine") != std::string::npos);
  first.reset();
  CHECK(MessageStore::open(file, Durability::normal, error));
}

TEST_CASE("intake log: a clean shutdown leaves no segment behind", "[store][intake]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  {
    std::string error;
    auto store = MessageStore::open(file, Durability::normal, error);
    REQUIRE(store);
    for (int i = 0; i < 100; ++i) store->insert(sample(0, "M" + std::to_string(i)), {});
  }
  CHECK(segments(file.string() + "-intake").empty());
}
