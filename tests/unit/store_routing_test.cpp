// What routing adds to the store: a routed message's link to its origin, and
// a delivery's own content (a router delivery's routes), through the intake
// record, SQLite, pending() and search; records and stores written before
// routing existed still read.
#include "store/intake_record.hpp"
#include "store/message_store.hpp"
#include "store/sqlite_connection.hpp"

#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <future>

using namespace artery;
using artery::testing::TempDir;

namespace {

NewMessage routed_message() {
  NewMessage m;
  m.channel = "archive";
  m.received_at_ms = 1763700000000;
  m.state = MessageState::queued;
  m.data_type = "hl7v2";
  m.raw = "MSH|^~\\&|A|B|C|D|20261121||ADT^A01|X1|P|2.5\r";
  m.destinations = {"files", "router"};
  m.delivery_contents = {"", R"([{"channel":"lab","content":"MSH|..."}])"};
  m.origin_channel = "intake";
  m.origin_message_id = 41;
  return m;
}

std::unique_ptr<MessageStore> open_store(const std::filesystem::path& file) {
  std::string error;
  auto store = MessageStore::open(file, Durability::normal, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

std::int64_t insert(MessageStore& store, NewMessage m) {
  std::promise<std::int64_t> id;
  store.insert(std::move(m), [&](std::int64_t got, const std::string&) { id.set_value(got); });
  return id.get_future().get();
}

}  // namespace

TEST_CASE("intake record: origin and delivery contents round trip, and older records still read", "[store][routing]") {
  NewMessage m = routed_message();
  m.id = 9;
  std::string bytes;
  intake_record::encode(m, bytes);
  NewMessage read;
  std::size_t size = 0;
  REQUIRE(intake_record::decode(bytes, read, size) == intake_record::Read::ok);
  CHECK(read.origin_channel == "intake");
  CHECK(read.origin_message_id == 41);
  CHECK(read.delivery_contents == m.delivery_contents);

  // A message nobody routed writes the record as before routing existed.
  NewMessage plain = routed_message();
  plain.id = 10;
  plain.origin_channel.clear();
  plain.origin_message_id = 0;
  plain.delivery_contents.clear();
  std::string old_bytes;
  intake_record::encode(plain, old_bytes);
  CHECK(old_bytes.size() < bytes.size());
  REQUIRE(intake_record::decode(old_bytes, read, size) == intake_record::Read::ok);
  CHECK(read.origin_channel.empty());
  CHECK(read.delivery_contents.empty());
  CHECK(read.destinations == plain.destinations);
}

TEST_CASE("store: a routed message keeps its origin, and a delivery's own content is its pending payload",
          "[store][routing]") {
  TempDir dir("artery-store-routing");
  auto store = open_store(dir / "artery.db");
  const std::int64_t id = insert(*store, routed_message());
  REQUIRE(id > 0);

  auto record = store->get(id);
  REQUIRE(record);
  CHECK(record->origin_channel == "intake");
  CHECK(record->origin_message_id == 41);
  MessageQuery children;
  children.origin_message_id = 41;
  auto found = store->search(children);
  REQUIRE(found.size() == 1);
  CHECK(found.front().id == id);
  children.origin_message_id = 40;
  CHECK(store->search(children).empty());

  auto router = store->pending("archive", "router", 0, 10);
  REQUIRE(router.size() == 1);
  CHECK(router.front().payload == R"([{"channel":"lab","content":"MSH|..."}])");
  auto files = store->pending("archive", "files", 0, 10);
  REQUIRE(files.size() == 1);
  CHECK(files.front().payload == record->raw);  // not a copy in the row: the message's own content

  // Once SENT, the router's copy goes (the target channel holds the message).
  DeliveryUpdate sent;
  sent.message_id = id;
  sent.destination = "router";
  sent.state = MessageState::sent;
  sent.attempts = 1;
  sent.sent_content = "";
  sent.response = "channel lab message 7 (accepted)";
  store->update_delivery(sent);
  store->flush();
  record = store->get(id);
  REQUIRE(record->deliveries.size() == 2);
  CHECK(record->deliveries[1].sent_content.empty());
  CHECK(record->deliveries[1].response == "channel lab message 7 (accepted)");
}

TEST_CASE("store: a store created before routing opens and gains the origin columns", "[store][routing]") {
  TempDir dir("artery-store-v1");
  const auto file = dir / "artery.db";
  {
    // The version 1 messages table, as an engine before routing created it.
    auto connection = sqlite::Connection::open(file, false);
    connection->exec(
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, received_at INTEGER NOT NULL, "
        "state TEXT NOT NULL, data_type TEXT NOT NULL DEFAULT '', raw BLOB, transformed BLOB, "
        "transformed_type TEXT NOT NULL DEFAULT '', message_type TEXT NOT NULL DEFAULT '', "
        "control_id TEXT NOT NULL DEFAULT '', patient_id TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', "
        "vars_json TEXT NOT NULL DEFAULT '', attributes_json TEXT NOT NULL DEFAULT '')");
    connection->exec("INSERT INTO messages (id, channel, received_at, state) VALUES (1, 'old', 0, 'SENT')");
    connection->exec("PRAGMA user_version = 1");
  }
  auto store = open_store(file);
  auto old = store->get(1);
  REQUIRE(old);
  CHECK(old->channel == "old");
  CHECK(old->origin_message_id == 0);
  const std::int64_t id = insert(*store, routed_message());
  auto routed = store->get(id);
  REQUIRE(routed);
  CHECK(routed->origin_channel == "intake");
}
