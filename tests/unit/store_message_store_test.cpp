// MessageStore on real SQLite files: round trips, delivery queues, counters,
// key/value, search, retention and failure handling.
#include "store/message_store.hpp"
#include "store/store_writer.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include "support/engine_process.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <thread>
#include <mutex>
#include <atomic>
#include <filesystem>
#include <future>
#include <string>

using namespace artery;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {


std::unique_ptr<MessageStore> open_store(const fs::path& file, Durability durability = Durability::normal) {
  std::string error;
  auto store = MessageStore::open(file, durability, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

NewMessage message(const std::string& channel, const std::string& control_id,
                   std::vector<std::string> destinations = {}) {
  NewMessage m;
  m.channel = channel;
  m.received_at_ms = now_ms();
  m.state = destinations.empty() ? MessageState::filtered : MessageState::queued;
  m.data_type = "HL7V2";
  m.raw = "MSH|^~\\&|LAB|HOSP|EPR|HOSP|20240101||ORU^R01|" + control_id + "|P|2.5\rPID|1||PAT-" + control_id;
  m.message_type = "ORU^R01";
  m.control_id = control_id;
  m.patient_id = "PAT-" + control_id;
  m.destinations = std::move(destinations);
  return m;
}

std::int64_t insert_now(MessageStore& store, NewMessage m) {
  std::promise<std::pair<std::int64_t, std::string>> result;
  store.insert(std::move(m), [&](std::int64_t id, const std::string& error) { result.set_value({id, error}); });
  auto [id, error] = result.get_future().get();
  INFO(error);
  REQUIRE(error.empty());
  REQUIRE(id > 0);
  return id;
}

std::string update_now(MessageStore& store, DeliveryUpdate update) {
  std::promise<std::string> result;
  store.update_delivery(std::move(update), [&](bool ok, const std::string& error) {
    result.set_value(ok ? std::string() : (error.empty() ? std::string("failed without a reason") : error));
  });
  return result.get_future().get();
}

// A second, independent connection: what another process would see.
std::int64_t count_rows(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

MessageQuery in_channel(const std::string& channel, int limit = 100) {
  MessageQuery q;
  q.channel = channel;
  q.limit = limit;
  return q;
}

void exec_sql(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("store: insert and get round trip with deliveries", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path() / "data" / "artery.db");  // creates the directory too

  NewMessage m = message("adt", "C1", {"epr", "archive", "audit"});
  m.raw = std::string("MSH|raw\0with nul\r", 17);
  m.transformed = "MSH|transformed";
  m.vars_json = R"({"ward":"7B"})";
  m.attributes_json = R"({"remote":"127.0.0.1"})";
  m.error = "";
  std::int64_t id = insert_now(*store, m);

  auto record = store->get(id);
  REQUIRE(record);
  CHECK(record->id == id);
  CHECK(record->channel == "adt");
  CHECK(record->received_at_ms == m.received_at_ms);
  CHECK(record->state == MessageState::queued);
  CHECK(record->data_type == "HL7V2");
  CHECK(record->raw == m.raw);
  CHECK(record->raw.size() == 17);
  CHECK(record->transformed == "MSH|transformed");
  CHECK(record->message_type == "ORU^R01");
  CHECK(record->control_id == "C1");
  CHECK(record->patient_id == "PAT-C1");
  CHECK(record->vars_json == m.vars_json);
  CHECK(record->attributes_json == m.attributes_json);
  REQUIRE(record->deliveries.size() == 3);
  CHECK(record->deliveries[0].destination == "epr");
  CHECK(record->deliveries[1].destination == "archive");
  CHECK(record->deliveries[2].destination == "audit");
  for (const auto& d : record->deliveries) {
    CHECK(d.state == MessageState::queued);
    CHECK(d.attempts == 0);
    CHECK(d.updated_ms > 0);
  }

  NewMessage failed = message("adt", "C2");
  failed.state = MessageState::error;
  failed.error = "transform.lua:3: attempt to index a nil value";
  auto error_record = store->get(insert_now(*store, failed));
  REQUIRE(error_record);
  CHECK(error_record->state == MessageState::error);
  CHECK(error_record->error == failed.error);
  CHECK(error_record->deliveries.empty());

  CHECK_FALSE(store->get(id + 1000));
}

TEST_CASE("store: a message naming a destination twice is refused alone", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path() / "artery.db");
  std::promise<std::pair<std::int64_t, std::string>> bad;
  std::promise<std::int64_t> good;
  store->insert(message("adt", "DUP", {"epr", "epr"}),
                [&](std::int64_t id, const std::string& error) { bad.set_value({id, error}); });
  store->insert(message("adt", "OK", {"epr"}), [&](std::int64_t id, const std::string&) { good.set_value(id); });
  auto [bad_id, error] = bad.get_future().get();
  CHECK(bad_id == 0);
  CHECK(error.find("'epr' is listed twice") != std::string::npos);
  std::int64_t good_id = good.get_future().get();  // likely in the same batch, and unharmed
  CHECK(good_id > 0);
  CHECK(store->pending_count("adt", "epr") == 1);
  MessageQuery q;
  q.text = "DUP";
  CHECK(store->search(q).empty());
}

TEST_CASE("store: ids increase and survive reopening", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  std::int64_t last = 0;
  {
    auto store = open_store(file);
    for (int i = 0; i < 20; ++i) {
      std::int64_t id = insert_now(*store, message("c", std::to_string(i)));
      CHECK(id > last);
      last = id;
    }
  }
  auto store = open_store(file);
  CHECK(insert_now(*store, message("c", "after")) > last);
}

TEST_CASE("store: with durability fsync the insert callback runs after the commit", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto store = open_store(file, Durability::fsync);
  std::promise<std::int64_t> seen;
  store->insert(message("c", "X1", {"out"}), [&](std::int64_t id, const std::string& error) {
    // Another connection (as another process would) sees the row already.
    seen.set_value(count_rows(file, "SELECT count(*) FROM messages WHERE id = " + std::to_string(id)) +
                   10 * count_rows(file, "SELECT count(*) FROM deliveries WHERE message_id = " + std::to_string(id)));
  });
  CHECK(seen.get_future().get() == 11);
}

TEST_CASE("store: flush waits for queued writes and the destructor commits them", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  std::atomic<int> callbacks{0};
  {
    auto store = open_store(file);
    for (int i = 0; i < 500; ++i) {
      store->insert(message("c", std::to_string(i), {"d"}), [&](std::int64_t id, const std::string& error) {
        if (id > 0 && error.empty()) ++callbacks;
      });
    }
    store->put_value("c", "k", "v");
    store->flush();
    CHECK(callbacks == 500);
    CHECK(store->get_value("c", "k") == "v");
    for (int i = 0; i < 300; ++i) {
      store->insert(message("c", "late" + std::to_string(i)), [&](std::int64_t id, const std::string&) {
        if (id > 0) ++callbacks;
      });
    }
  }  // no flush: the destructor commits the rest
  CHECK(callbacks == 800);
  CHECK(count_rows(file, "SELECT count(*) FROM messages") == 800);
  CHECK(count_rows(file, "SELECT count(*) FROM deliveries") == 500);
}

TEST_CASE("store: delivery updates for sent, retry and error", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path() / "artery.db");
  std::int64_t id = insert_now(*store, message("lab", "L1", {"epr", "archive"}));

  SECTION("a retry keeps the delivery QUEUED with its attempts, then it is sent") {
    DeliveryUpdate retry{id, "epr", MessageState::queued, 1, now_ms() + 5000, std::nullopt, std::nullopt,
                         std::string("connection refused")};
    CHECK(update_now(*store, retry).empty());
    auto pending = store->pending("lab", "epr", 0, 10);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].attempts == 1);
    CHECK(pending[0].next_attempt_ms == retry.next_attempt_ms);
    CHECK(store->get(id)->deliveries[0].error == "connection refused");

    DeliveryUpdate sent{id, "epr", MessageState::sent, 2, 0, std::string("MSH|sent"), std::string("MSA|AA|L1"),
                        std::string("")};
    CHECK(update_now(*store, sent).empty());
    auto record = store->get(id);
    REQUIRE(record->deliveries.size() == 2);
    CHECK(record->deliveries[0].state == MessageState::sent);
    CHECK(record->deliveries[0].attempts == 2);
    CHECK(record->deliveries[0].sent_content == "MSH|sent");
    CHECK(record->deliveries[0].response == "MSA|AA|L1");
    CHECK(record->deliveries[0].error.empty());
    CHECK(record->deliveries[1].state == MessageState::queued);
    CHECK(record->state == MessageState::queued);  // archive still waits
    CHECK(store->pending("lab", "epr", 0, 10).empty());

    // Unset optionals keep what is stored.
    CHECK(update_now(*store, {id, "archive", MessageState::sent, 1, 0, std::string("A"), std::nullopt,
                              std::nullopt})
              .empty());
    CHECK(update_now(*store, {id, "archive", MessageState::sent, 1, 0, std::nullopt, std::string("R"),
                              std::nullopt})
              .empty());
    record = store->get(id);
    CHECK(record->deliveries[1].sent_content == "A");
    CHECK(record->deliveries[1].response == "R");
    CHECK(record->state == MessageState::sent);  // every delivery sent
  }

  SECTION("a permanent failure is ERROR and leaves the queue") {
    CHECK(update_now(*store, {id, "archive", MessageState::error, 5, 0, std::nullopt, std::nullopt,
                              std::string("gave up after 5 attempts")})
              .empty());
    CHECK(update_now(*store, {id, "epr", MessageState::sent, 1, 0, std::nullopt, std::nullopt, std::nullopt})
              .empty());
    auto record = store->get(id);
    CHECK(record->deliveries[1].state == MessageState::error);
    CHECK(record->deliveries[1].error == "gave up after 5 attempts");
    CHECK(record->state == MessageState::error);
    CHECK(store->pending_count("lab", "archive") == 0);
  }

  SECTION("an update of a delivery that does not exist reports an error") {
    std::string error = update_now(*store, {id, "nowhere", MessageState::sent, 1, 0, {}, {}, {}});
    CHECK(error.find("nowhere") != std::string::npos);
    error = update_now(*store, {id + 99, "epr", MessageState::sent, 1, 0, {}, {}, {}});
    CHECK_FALSE(error.empty());
    CHECK(store->pending_count("lab", "epr") == 1);
  }
}

TEST_CASE("store: updates folded into their message's insert leave the same rows as applied apart", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path() / "artery.db");
  // A retry then a success for one destination, a failure for the other; with
  // a flush between insert and updates (never folded) and without (folded
  // whenever the writer's linger puts them in one batch).
  auto deliver = [&](bool flush_between) {
    std::promise<std::int64_t> inserted;
    store->insert(message("c", flush_between ? "APART" : "FOLDED", {"a", "b"}),
                  [&](std::int64_t id, const std::string&) { inserted.set_value(id); });
    const std::int64_t id = inserted.get_future().get();
    if (flush_between) store->flush();
    DeliveryUpdate retry{id, "a", MessageState::queued, 1, 123, std::nullopt, std::nullopt, "connection refused"};
    DeliveryUpdate sent{id, "a", MessageState::sent, 2, 0, "changed", "MSA|AA", std::nullopt};
    DeliveryUpdate failed{id, "b", MessageState::error, 1, 0, std::nullopt, "MSA|AR", "rejected: bad PID"};
    store->update_delivery(retry);
    store->update_delivery(sent);
    store->update_delivery(failed);
    return id;
  };
  const auto folded_before = StoreWriterTotals::folded_updates.load();
  std::vector<std::int64_t> apart, folded;
  for (int i = 0; i < 20; ++i) {
    apart.push_back(deliver(true));
    folded.push_back(deliver(false));
  }
  store->flush();
  CHECK(StoreWriterTotals::folded_updates.load() > folded_before);
  for (std::size_t i = 0; i < apart.size(); ++i) {
    auto a = store->get(apart[i]);
    auto f = store->get(folded[i]);
    REQUIRE(a);
    REQUIRE(f);
    CHECK(a->state == MessageState::error);
    CHECK(f->state == a->state);
    REQUIRE(f->deliveries.size() == 2);
    REQUIRE(a->deliveries.size() == 2);
    for (std::size_t d = 0; d < 2; ++d) {
      CHECK(f->deliveries[d].destination == a->deliveries[d].destination);
      CHECK(f->deliveries[d].state == a->deliveries[d].state);
      CHECK(f->deliveries[d].attempts == a->deliveries[d].attempts);
      CHECK(f->deliveries[d].sent_content == a->deliveries[d].sent_content);
      CHECK(f->deliveries[d].response == a->deliveries[d].response);
      CHECK(f->deliveries[d].error == a->deliveries[d].error);
    }
    CHECK(a->deliveries[0].state == MessageState::sent);
    CHECK(a->deliveries[0].error == "connection refused");  // kept, as the UPDATE's coalesce keeps it
    CHECK(a->deliveries[1].response == "MSA|AR");
  }
  CHECK(store->pending_count("c", "a") == 0);
  CHECK(store->pending_count("c", "b") == 0);
}

TEST_CASE("store: pending deliveries come oldest first and page by id", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path() / "artery.db");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 10; ++i) {
    NewMessage m = message("lab", "P" + std::to_string(i), {"epr", "archive"});
    m.vars_json = "{\"i\":" + std::to_string(i) + "}";
    if (i % 2 == 0) m.transformed = "T" + std::to_string(i);
    ids.push_back(insert_now(*store, m));
  }
  insert_now(*store, message("other", "O1", {"epr"}));  // another channel's queue
  // Message 3 was delivered to epr already.
  CHECK(update_now(*store, {ids[3], "epr", MessageState::sent, 1, 0, {}, {}, {}}).empty());

  CHECK(store->pending_count("lab", "epr") == 9);
  CHECK(store->pending_count("lab", "archive") == 10);
  CHECK(store->pending_count("other", "epr") == 1);
  CHECK(store->pending_count("lab", "nothing") == 0);

  auto first = store->pending("lab", "epr", 0, 4);
  REQUIRE(first.size() == 4);
  CHECK(first[0].message_id == ids[0]);
  CHECK(first[1].message_id == ids[1]);
  CHECK(first[2].message_id == ids[2]);
  CHECK(first[3].message_id == ids[4]);  // ids[3] is sent
  CHECK(first[0].payload == "T0");       // transformed
  CHECK(first[1].payload.rfind("MSH|", 0) == 0);  // raw: the script left it unchanged
  CHECK(first[1].vars_json == "{\"i\":1}");
  CHECK(first[0].data_type == "HL7V2");
  CHECK(first[0].destination == "epr");

  auto rest = store->pending("lab", "epr", first.back().message_id, 100);
  REQUIRE(rest.size() == 5);
  CHECK(rest.front().message_id == ids[5]);
  CHECK(rest.back().message_id == ids[9]);
  CHECK(store->pending("lab", "epr", ids[9], 100).empty());
  CHECK(store->pending("lab", "epr", 0, 0).empty());
}

TEST_CASE("store: counters coalesce and persist across reopening", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  {
    auto store = open_store(file);
    for (int i = 0; i < 100; ++i) {
      store->add_counters({"adt", "", {1, 0, 1, 0, 0}});
      store->add_counters({"adt", "epr", {0, 0, 1, 0, 0}});
    }
    store->add_counters({"adt", "epr", {0, 0, -40, 40, 0}});
    store->add_counters({"adt", "", {0, 3, 0, 0, 2}});
    store->flush();
    auto counters = store->counters();
    CHECK(counters["adt"][""].received == 100);
    CHECK(counters["adt"][""].filtered == 3);
    CHECK(counters["adt"][""].errored == 2);
    CHECK(counters["adt"]["epr"].queued == 60);
    CHECK(counters["adt"]["epr"].sent == 40);
    store->add_counters({"lab", "", {7, 0, 0, 0, 0}});  // committed by the destructor
  }
  auto store = open_store(file);
  auto counters = store->counters();
  CHECK(counters["adt"][""].received == 100);
  CHECK(counters["adt"]["epr"].queued == 60);
  CHECK(counters["lab"][""].received == 7);
  store->add_counters({"adt", "", {5, 0, 0, 0, 0}});
  store->flush();
  CHECK(store->counters()["adt"][""].received == 105);
}

TEST_CASE("store: key/value put, get and erase persist across reopening", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  {
    auto store = open_store(file);
    std::promise<bool> put_done;
    store->put_value("adt", "last_id", "41", [&](bool ok, const std::string&) { put_done.set_value(ok); });
    CHECK(put_done.get_future().get());
    store->put_value("adt", "last_id", "42");
    store->put_value("adt", "binary", std::string("a\0b", 3));
    store->put_value("adt", "doomed", "x");
    store->put_value("lab", "last_id", "7");
    store->erase_value("adt", "doomed");
    store->flush();
    CHECK(store->get_value("adt", "last_id") == "42");
    CHECK_FALSE(store->get_value("adt", "doomed"));
  }
  auto store = open_store(file);
  CHECK(store->get_value("adt", "last_id") == "42");
  CHECK(store->get_value("adt", "binary") == std::string("a\0b", 3));
  CHECK(store->get_value("lab", "last_id") == "7");
  CHECK_FALSE(store->get_value("adt", "doomed"));
  CHECK_FALSE(store->get_value("nobody", "last_id"));
  auto values = store->values("adt");
  CHECK(values.size() == 2);
  CHECK(values["last_id"] == "42");
  CHECK(store->values("empty").empty());
}

TEST_CASE("store: search filters by channel, state, keys, text, time and pages newest first", "[store]") {
  TempDir dir;
  auto store = open_store(dir.path() / "artery.db");
  std::int64_t t0 = now_ms() - 100000;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 30; ++i) {
    NewMessage m = message(i % 3 == 0 ? "lab" : "adt", "MSG" + std::to_string(i), {"epr"});
    m.received_at_ms = t0 + i * 1000;
    if (i == 7) {
      m.raw += "\rOBX|1|TX|||needle_100%_here";
      m.patient_id = "NHS943";
    }
    if (i == 8) {
      m.message_type = "ADT^A08";
      m.state = MessageState::error;
      m.destinations.clear();
    }
    ids.push_back(insert_now(*store, m));
  }

  MessageQuery all;
  auto everything = store->search(all);
  REQUIRE(everything.size() == 30);
  CHECK(everything.front().id == ids.back());  // newest first
  CHECK(everything.back().id == ids.front());
  CHECK(everything.front().deliveries.empty());

  MessageQuery lab;
  lab.channel = "lab";
  CHECK(store->search(lab).size() == 10);

  MessageQuery errors;
  errors.state = MessageState::error;
  auto error_rows = store->search(errors);
  REQUIRE(error_rows.size() == 1);
  CHECK(error_rows[0].id == ids[8]);

  MessageQuery by_control;
  by_control.control_id = "MSG12";  // exact, found before the indexer ran (the unindexed scan)
  auto control_rows = store->search(by_control);
  REQUIRE(control_rows.size() == 1);
  CHECK(control_rows[0].control_id == "MSG12");

  MessageQuery by_patient;
  by_patient.patient_id = "NHS943";
  REQUIRE(store->search(by_patient).size() == 1);

  MessageQuery by_type;
  by_type.message_type = "ADT^A08";
  REQUIRE(store->search(by_type).size() == 1);

  REQUIRE(store->wait_until_indexed(std::chrono::seconds(10)));
  MessageQuery by_content;
  by_content.text = "needle_100%";  // the words needle and 100
  auto content_rows = store->search(by_content);
  REQUIRE(content_rows.size() == 1);
  CHECK(content_rows[0].id == ids[7]);
  MessageQuery wildcard;  // every word must occur
  wildcard.text = "needle%absent";
  CHECK(store->search(wildcard).empty());

  MessageQuery since;
  since.since_ms = t0 + 25000;
  CHECK(store->search(since).size() == 5);

  MessageQuery page;
  page.channel = "adt";
  page.limit = 8;
  auto first = store->search(page);
  REQUIRE(first.size() == 8);
  page.before_id = first.back().id;
  auto second = store->search(page);
  REQUIRE(second.size() == 8);
  CHECK(second.front().id < first.back().id);
  page.before_id = second.back().id;
  CHECK(store->search(page).size() == 4);

  MessageQuery combined;
  combined.channel = "adt";
  combined.state = MessageState::queued;
  combined.text = "PAT";  // in every message's PID
  combined.since_ms = t0 + 21000;
  auto combined_rows = store->search(combined);
  CHECK(combined_rows.size() == 6);  // 22 23 25 26 28 29
}

TEST_CASE("store: prune by age and by count keeps messages still queued", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto store = open_store(file);
  std::int64_t old_time = now_ms() - 3600 * 1000;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 10; ++i) {  // 10 old messages; every other one still queued
    NewMessage m = message("adt", "OLD" + std::to_string(i), {"epr"});
    m.received_at_ms = old_time;
    ids.push_back(insert_now(*store, m));
    if (i % 2 == 0) CHECK(update_now(*store, {ids.back(), "epr", MessageState::sent, 1, 0, {}, {}, {}}).empty());
  }
  for (int i = 0; i < 10; ++i) ids.push_back(insert_now(*store, message("adt", "NEW" + std::to_string(i))));
  for (int i = 0; i < 5; ++i) {
    NewMessage m = message("lab", "LAB" + std::to_string(i));
    m.received_at_ms = old_time;
    insert_now(*store, m);
  }

  SECTION("by age") {
    CHECK(store->prune("adt", std::chrono::minutes(10), std::nullopt) == 5);
    for (int i = 0; i < 10; ++i) CHECK(store->get(ids[i]).has_value() == (i % 2 == 1));
    CHECK(count_rows(file, "SELECT count(*) FROM deliveries") == 5);  // deliveries go with their messages
    CHECK(store->search(in_channel("lab")).size() == 5);                       // other channels untouched
    CHECK(store->prune("adt", std::chrono::minutes(10), std::nullopt) == 0);
  }

  SECTION("by count") {
    // Keep the newest 12: the 8 oldest may go, but 4 of them are still queued.
    CHECK(store->prune("adt", std::nullopt, 12) == 4);
    for (int i = 0; i < 8; ++i) CHECK(store->get(ids[i]).has_value() == (i % 2 == 1));
    CHECK(store->get(ids[8]));
    CHECK(store->get(ids[9]));
    CHECK(store->pending_count("adt", "epr") == 5);
    CHECK(store->prune("adt", std::nullopt, 0) == 11);  // all but the 5 queued
    CHECK(store->search(in_channel("adt")).size() == 5);
  }

  SECTION("more than one chunk") {
    for (int i = 0; i < 4500; ++i) {
      NewMessage m = message("bulk", std::to_string(i));
      m.received_at_ms = old_time;
      store->insert(std::move(m), [](std::int64_t, const std::string&) {});
    }
    store->flush();
    CHECK(store->prune("bulk", std::nullopt, 100) == 4400);
    CHECK(store->search(in_channel("bulk", 1000)).size() == 100);
  }
}

TEST_CASE("store: a failed transaction fails its operations and the writer carries on", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto store = open_store(file);
  exec_sql(file,
           "CREATE TRIGGER refuse_boom BEFORE INSERT ON kv WHEN NEW.key = 'boom' "
           "BEGIN SELECT RAISE(ABORT, 'boom refused'); END");

  struct Result {
    std::promise<std::string> error;
  };
  std::vector<std::unique_ptr<Result>> results;
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    keys.push_back(i == 25 ? "boom" : "k" + std::to_string(i));
    results.push_back(std::make_unique<Result>());
    auto* r = results.back().get();
    store->put_value("c", keys.back(), "v", [r](bool ok, const std::string& error) {
      r->error.set_value(ok ? std::string() : error.empty() ? std::string("?") : error);
    });
  }
  int failures = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string error = results[i]->error.get_future().get();
    if (keys[i] == "boom") {
      CHECK(error.find("boom refused") != std::string::npos);
    }
    if (!error.empty()) ++failures;
    // What was acknowledged is stored; what failed is not (the batch rolled back).
    CHECK(store->get_value("c", keys[i]).has_value() == error.empty());
  }
  CHECK(failures >= 1);
  // The writer still works.
  std::int64_t id = insert_now(*store, message("c", "after"));
  CHECK(store->get(id));
}

TEST_CASE("store: acknowledged messages and their folded updates survive a failed transaction", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto store = open_store(file);
  exec_sql(file,
           "CREATE TRIGGER refuse_boom BEFORE INSERT ON kv WHEN NEW.key = 'boom' "
           "BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
  // The insert and its update wait for company; the put somebody waits for
  // commits them at once, and its trigger fails that transaction.
  std::promise<std::int64_t> inserted;
  store->insert(message("c", "KEEP", {"out"}), [&](std::int64_t id, const std::string&) { inserted.set_value(id); });
  const std::int64_t id = inserted.get_future().get();
  store->update_delivery({id, "out", MessageState::sent, 1, 0, "changed", "MSA|AA", std::nullopt});
  std::promise<std::string> put;
  store->put_value("c", "boom", "v", [&](bool, const std::string& error) { put.set_value(error); });
  CHECK(put.get_future().get().find("boom refused") != std::string::npos);
  // The message was acknowledged: it is applied when the writer tries again.
  auto record = store->get(id);
  REQUIRE(record);
  CHECK(record->state == MessageState::sent);
  REQUIRE(record->deliveries.size() == 1);
  CHECK(record->deliveries[0].state == MessageState::sent);
  CHECK(record->deliveries[0].sent_content == "changed");
  CHECK(record->deliveries[0].response == "MSA|AA");
}

TEST_CASE("store: with durability fsync a read never waits on a commit callback", "[store]") {
  // A destination reads its queue holding the lock that the commit callback
  // of a new message (on the writer thread) needs to hand the message over.
  TempDir dir;
  auto store = open_store(dir.path() / "artery.db", Durability::fsync);
  std::mutex handover;
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    for (int n = 0; !stop; ++n) {
      std::promise<void> done;
      store->insert(message("c", "F" + std::to_string(n), {"out"}), [&](std::int64_t, const std::string&) {
        std::lock_guard lock(handover);
        done.set_value();
      });
      done.get_future().wait();
    }
  });
  auto reads = std::async(std::launch::async, [&] {
    for (int i = 0; i < 200; ++i) {
      std::lock_guard lock(handover);
      store->pending("c", "out", 0, 10);
    }
  });
  const bool finished = reads.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  if (!finished) {
    std::fprintf(stderr, "deadlock: a read waited for the writer while holding the lock its callback needs\n");
    std::_Exit(1);  // the threads cannot be joined
  }
  stop = true;
  producer.join();
  CHECK(finished);
}

TEST_CASE("store: open reports unusable files as errors", "[store]") {
  TempDir dir;
  std::string error;

  auto not_a_db = dir.path() / "notes.txt";
  {
    std::FILE* f = std::fopen(not_a_db.c_str(), "w");
    REQUIRE(f);
    std::fputs("this is not an SQLite database, it is a text file long enough to have a header\n", f);
    std::fclose(f);
  }
  CHECK_FALSE(MessageStore::open(not_a_db, Durability::normal, error));
  CHECK(error.find("notes.txt") != std::string::npos);

  error.clear();
  CHECK_FALSE(MessageStore::open(dir.path(), Durability::normal, error));  // a directory
  CHECK_FALSE(error.empty());

  auto future_file = dir.path() / "future.db";
  { open_store(future_file); }
  exec_sql(future_file, "PRAGMA user_version = 99");
  error.clear();
  CHECK_FALSE(MessageStore::open(future_file, Durability::fsync, error));
  CHECK(error.find("newer") != std::string::npos);
}

TEST_CASE("store: fsync durability opens and writes", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto store = open_store(file, Durability::fsync);
  std::int64_t id = insert_now(*store, message("c", "F1", {"d"}));
  CHECK(store->get(id)->deliveries.size() == 1);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_CASE("store: ids never go back after retention deletes the newest messages", "[store]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  std::int64_t highest = 0;
  {
    auto store = open_store(file);
    for (int i = 0; i < 5; ++i) highest = insert_now(*store, message("only", std::to_string(i)));
    CHECK(store->prune("only", std::nullopt, 0) == 5);  // the table is empty now
    CHECK(insert_now(*store, message("only", "next")) > highest);
    highest += 1;
    CHECK(store->prune("only", std::nullopt, 0) == 1);
  }
  auto store = open_store(file);  // the floor survives reopening an empty table
  CHECK(insert_now(*store, message("only", "after reopen")) > highest);
}
