// MessageStore with encryption at rest, on real SQLite files: what reaches
// the file is sealed (content, deliveries, kv, errors, vars, the patient id
// as a keyed hash), every read path opens it, search by patient id and by
// word still finds, durability fsync seals on the writer, a store written
// plain is sealed by the key pass, and a rotation re-seals under traffic.
#include "store/message_store.hpp"

#include <sqlite3.h>
#include <stdlib.h>

#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

using namespace artery;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSecretName = "QUIGLEYFARNSWORTH";
constexpr const char* kSecretNote = "ZEBRAFINCH";

struct NoEnvironmentKey {
  NoEnvironmentKey() { ::unsetenv("ARTERY_KEY"); }
};

std::unique_ptr<MessageStore> open_store(const fs::path& file, bool encrypt, Durability durability = Durability::normal) {
  std::string error;
  StoreEncryption encryption;
  encryption.encrypt = encrypt;
  encryption.key_file = file.parent_path() / "keys" / "artery.key";
  auto store = MessageStore::open(file, durability, error, encryption);
  INFO(error);
  REQUIRE(store);
  return store;
}

NewMessage patient_message(const std::string& control_id, std::vector<std::string> destinations = {"out"}) {
  NewMessage m;
  m.channel = "lab";
  m.received_at_ms = 1'700'000'000'000;
  m.state = MessageState::queued;
  m.data_type = "HL7V2";
  m.raw = "MSH|^~\\&|LAB|HOSP|EPR|HOSP|20240101||ORU^R01|" + control_id + "|P|2.5\rPID|1||9434765919||" +
          kSecretName + "^ESME\rNTE|1||" + kSecretNote + " seen\r";
  m.transformed = R"({"name":")" + std::string(kSecretName) + "\"}";
  m.transformed_type = "json";
  m.message_type = "ORU^R01";
  m.control_id = control_id;
  m.patient_id = "9434765919";
  m.vars_json = R"({"note":")" + std::string(kSecretNote) + "\"}";
  m.attributes_json = R"({"file":")" + std::string(kSecretName) + ".hl7\"}";
  m.destinations = std::move(destinations);
  return m;
}

std::int64_t insert_now(MessageStore& store, NewMessage m) {
  std::promise<std::pair<std::int64_t, std::string>> result;
  store.insert(std::move(m), [&](std::int64_t id, const std::string& error) { result.set_value({id, error}); });
  auto [id, error] = result.get_future().get();
  INFO(error);
  REQUIRE(id > 0);
  return id;
}

std::string file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool files_hold(const fs::path& db, const std::string& secret) {
  for (const auto& f : {db, fs::path(db.string() + "-wal")})
    if (fs::exists(f) && file_bytes(f).find(secret) != std::string::npos) return true;
  if (fs::exists(db.string() + "-intake"))
    for (const auto& entry : fs::directory_iterator(db.string() + "-intake"))
      if (file_bytes(entry.path()).find(secret) != std::string::npos) return true;
  return false;
}

MessageQuery query() {
  MessageQuery q;
  q.channel = "lab";
  q.limit = 1'000'000;
  return q;
}

}  // namespace

TEST_CASE("store encryption: every read path opens what the file holds sealed", "[store][encryption]") {
  NoEnvironmentKey no_env;
  TempDir dir("artery-store-enc");
  const fs::path file = dir.path() / "artery.db";
  auto store = open_store(file, true);
  REQUIRE(store->value_cipher().enabled());
  const std::int64_t id = insert_now(*store, patient_message("C1"));
  DeliveryUpdate update;
  update.message_id = id;
  update.destination = "out";
  update.state = MessageState::error;
  update.attempts = 1;
  update.response = std::string("MSA|AE|C1|unknown patient ") + kSecretName;
  update.error = std::string("rejected: ") + kSecretNote;
  std::promise<void> updated;
  store->update_delivery(update, [&](bool, const std::string&) { updated.set_value(); });
  updated.get_future().wait();
  std::promise<void> put;
  store->put_value("lab", "last", std::string("last patient ") + kSecretName, [&](bool, const std::string&) { put.set_value(); });
  put.get_future().wait();
  store->flush();

  auto record = store->get(id);
  REQUIRE(record);
  CHECK(record->raw.find(kSecretName) != std::string::npos);
  CHECK(record->transformed.find(kSecretName) != std::string::npos);
  CHECK(record->vars_json.find(kSecretNote) != std::string::npos);
  CHECK(record->attributes_json.find(kSecretName) != std::string::npos);
  CHECK(record->patient_id == "9434765919");
  REQUIRE(record->deliveries.size() == 1);
  CHECK(record->deliveries[0].response.find(kSecretName) != std::string::npos);
  CHECK(record->deliveries[0].error.find(kSecretNote) != std::string::npos);
  CHECK(store->get_value("lab", "last") == std::string("last patient ") + kSecretName);
  CHECK(store->values("lab").at("last") == std::string("last patient ") + kSecretName);

  REQUIRE(store->wait_until_indexed(std::chrono::seconds(10)));
  MessageQuery by_patient = query();
  by_patient.patient_id = "9434765919";
  auto page = store->search_page(by_patient);
  REQUIRE(page.messages.size() == 1);
  CHECK(page.messages[0].patient_id == "9434765919");
  CHECK(page.messages[0].raw_bytes == static_cast<std::int64_t>(patient_message("C1").raw.size()));
  MessageQuery by_word = query();
  by_word.text = "zebrafinch";
  CHECK(store->search(by_word).size() == 1);
  by_word.text = "QuigleyFarnsworth zebrafinch";  // case-folded, every word must occur
  CHECK(store->search(by_word).size() == 1);
  by_word.text = "ostrich";
  CHECK(store->search(by_word).empty());

  store.reset();
  for (const char* secret : {kSecretName, kSecretNote, "9434765919", "zebrafinch", "quigleyfarnsworth"}) {
    INFO(secret);
    CHECK_FALSE(files_hold(file, secret));
  }
}

TEST_CASE("store encryption: pending deliveries read back their sealed payload, with durability fsync too",
          "[store][encryption]") {
  NoEnvironmentKey no_env;
  for (Durability durability : {Durability::normal, Durability::fsync}) {
    TempDir dir("artery-store-enc-pending");
    const fs::path file = dir.path() / "artery.db";
    auto store = open_store(file, true, durability);
    NewMessage routed = patient_message("C2", {"a", "b"});
    routed.delivery_contents = {"", std::string("own content for b ") + kSecretName};
    insert_now(*store, routed);
    store->flush();
    auto a = store->pending("lab", "a", 0, 10);
    REQUIRE(a.size() == 1);
    CHECK(a[0].payload == routed.transformed);  // the transformed payload
    CHECK(a[0].vars_json.find(kSecretNote) != std::string::npos);
    auto b = store->pending("lab", "b", 0, 10);
    REQUIRE(b.size() == 1);
    CHECK(b[0].payload == routed.delivery_contents[1]);
    store.reset();
    CHECK_FALSE(files_hold(file, kSecretName));
  }
}

TEST_CASE("store encryption: the wrong key is refused before anything is written", "[store][encryption]") {
  NoEnvironmentKey no_env;
  TempDir dir("artery-store-enc-key");
  const fs::path file = dir.path() / "artery.db";
  { insert_now(*open_store(file, true), patient_message("C3")); }
  const std::string db_before = file_bytes(file);
  StoreEncryption encryption{true, dir.path() / "keys" / "artery.key"};
  std::string error;
  {
    std::ofstream out(encryption.key_file, std::ios::trunc);
    out << "0badc0de AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= current\n";
  }
  CHECK_FALSE(MessageStore::open(file, Durability::normal, error, encryption));
  CHECK(error.find("wrong key") != std::string::npos);
  CHECK(error.find(encryption.key_file.string()) != std::string::npos);
  CHECK_FALSE(MessageStore::open(file, Durability::normal, error, StoreEncryption{false, encryption.key_file}));
  CHECK(error.find("turn encryption on") != std::string::npos);
  CHECK(file_bytes(file) == db_before);
}

TEST_CASE("store encryption: a plain store is sealed by the key pass, then rotated under writes",
          "[store][encryption]") {
  NoEnvironmentKey no_env;
  TempDir dir("artery-store-enc-pass");
  const fs::path file = dir.path() / "artery.db";
  {
    auto plain = open_store(file, false);
    for (int i = 0; i < 600; ++i) insert_now(*plain, patient_message("P" + std::to_string(i)));
    REQUIRE(plain->wait_until_indexed(std::chrono::seconds(10)));
  }
  CHECK(files_hold(file, kSecretName));
  auto store = open_store(file, true);
  REQUIRE(store->wait_for_key_pass(std::chrono::seconds(30)));
  auto status = store->key_pass_status();
  CHECK(status.state == "done");
  CHECK(status.reason == "encrypt");
  CHECK(status.messages_done == 600);
  MessageQuery by_word = query();
  by_word.text = "zebrafinch";
  CHECK(store->search(by_word).size() == 600);
  MessageQuery by_patient = query();
  by_patient.patient_id = "9434765919";
  CHECK(store->search(by_patient).size() == 600);

  // Rotation while another thread keeps inserting.
  std::atomic<bool> writing{true};
  std::atomic<int> written{0};
  std::thread writer([&] {
    while (writing) {  // traffic, not a flood: about 2,000 messages a second
      insert_now(*store, patient_message("R" + std::to_string(written.load())));
      ++written;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  std::string error;
  const std::string old_key = store->key_pass_status().current_key;
  REQUIRE(store->rotate_keys(error));
  CHECK_FALSE(store->rotate_keys(error));  // one at a time
  CHECK(error.find("a key pass is running") != std::string::npos);
  const bool finished = store->wait_for_key_pass(std::chrono::seconds(60));
  writing = false;
  writer.join();
  status = store->key_pass_status();
  INFO(status.state << " " << status.messages_done << " of " << status.messages_total << " " << status.error);
  REQUIRE(finished);
  status = store->key_pass_status();
  CHECK(status.state == "done");
  CHECK(status.current_key != old_key);
  const std::size_t total = 600 + static_cast<std::size_t>(written.load());
  store->flush();
  REQUIRE(store->wait_until_indexed(std::chrono::seconds(10)));
  CHECK(store->search(by_word).size() == total);
  CHECK(store->search(by_patient).size() == total);
  for (const auto& m : store->search(query())) REQUIRE(store->get(m.id)->raw.find(kSecretName) != std::string::npos);
  const std::string keys = file_bytes(dir.path() / "keys" / "artery.key");
  CHECK(keys.find(status.current_key) != std::string::npos);
  CHECK(keys.find(old_key) == std::string::npos);
  store.reset();
  // Reopened with the rotated key file; nothing left in the clear.
  auto again = open_store(file, true);
  CHECK(again->key_pass_status().state == "idle");
  CHECK(again->search(by_word).size() == total);
  again.reset();
  CHECK_FALSE(files_hold(file, kSecretName));
  CHECK_FALSE(files_hold(file, "zebrafinch"));
}

TEST_CASE("store encryption: a rotation keeps the old key until a plugin's repository has re-sealed under the new one",
          "[store][encryption]") {
  NoEnvironmentKey no_env;
  TempDir dir("artery-store-enc-outside");
  const fs::path file = dir.path() / "artery.db";
  std::string old_probe;
  {
    auto store = open_store(file, true);
    insert_now(*store, patient_message("O1"));
    // A FHIR repository sealed everything under the first key, and said so.
    old_probe = store->value_cipher().seal("", "fhir/ehr/probe");
    store->value_cipher().report_store_sealed("fhir/ehr", old_probe);
  }
  // Its channel is not running now: the report was kept by the store.
  auto store = open_store(file, true);
  const std::string old_key = store->key_pass_status().current_key;
  std::string error;
  REQUIRE(store->rotate_keys(error));
  CHECK_FALSE(store->wait_for_key_pass(std::chrono::milliseconds(1500)));
  auto status = store->key_pass_status();
  CHECK(status.state == "running");
  CHECK(status.waiting_for == std::vector<std::string>{"fhir/ehr"});
  CHECK(file_bytes(dir.path() / "keys" / "artery.key").find(old_key) != std::string::npos);
  CHECK(store->value_cipher().open(old_probe, "fhir/ehr/probe").empty());  // still readable

  // The repository re-sealed under the new key: the pass finishes and forgets the old one.
  store->value_cipher().report_store_sealed("fhir/ehr", store->value_cipher().seal("", "fhir/ehr/probe"));
  REQUIRE(store->wait_for_key_pass(std::chrono::seconds(30)));
  status = store->key_pass_status();
  CHECK(status.state == "done");
  CHECK(status.waiting_for.empty());
  CHECK(file_bytes(dir.path() / "keys" / "artery.key").find(old_key) == std::string::npos);
  CHECK_THROWS_AS(store->value_cipher().open(old_probe, "fhir/ehr/probe"), ValueTampered);
}
