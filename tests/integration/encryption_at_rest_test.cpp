// Encryption at rest through the user's path: artery.yaml with
// `storage: {encrypt: true, key_file: ...}` -> `artery run` -> MLLP on
// loopback -> the admin API and `artery key rotate`. The raw files
// (artery.db, its -wal, the intake log segments) are searched byte for byte
// for the test patient's name, NHS number and note.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/lab_channel.hpp"
#include "support/loopback.hpp"
#include "support/mllp_client.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <csignal>

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kAdminPassword = "the encryption test's admin";
// What must never be readable in the store's files.
constexpr const char* kName = "QUIGLEYFARNSWORTH";
constexpr const char* kNhsNumber = "9434765919";
constexpr const char* kNote = "ZEBRAFINCH";
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string patient_message(const std::string& control_id) {
  return "MSH|^~\\&|LAB|RGH|ARTERY|RGH|20261201120000||ORU^R01|" + control_id +
         "|P|2.5\rPID|1||" + kNhsNumber + "^^^NHS^NH||" + kName +
         "^ESMERALDA||19610412|F\rOBR|1||" + control_id + "|24331-1^Lipid panel^LN\r"
         "OBX|1|TX|8251-1^Note^LN||Reports dizziness after the warfarin dose " + kNote + "||||||F\r"
         "NTE|1||Seen by the " + kNote + " clinic\r";
}

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The store's files as they are on disk: the database, its WAL, the intake log.
std::vector<fs::path> store_files(const fs::path& data) {
  std::vector<fs::path> out;
  for (const char* name : {"artery.db", "artery.db-wal"})
    if (fs::exists(data / name)) out.push_back(data / name);
  if (fs::exists(data / "artery.db-intake"))
    for (const auto& entry : fs::directory_iterator(data / "artery.db-intake"))
      if (entry.path().extension() == ".log") out.push_back(entry.path());
  return out;
}

// Every file and the secrets found in it (lower case too: the word index folds case).
std::vector<std::string> plaintext_found(const fs::path& data) {
  std::vector<std::string> found;
  for (const auto& file : store_files(data)) {
    const std::string bytes = read_bytes(file);
    for (std::string secret : {kName, kNhsNumber, kNote, "quigleyfarnsworth", "zebrafinch", "warfarin"})
      if (bytes.find(secret) != std::string::npos) found.push_back(file.filename().string() + ": " + secret);
  }
  return found;
}

struct Login {
  std::string cookie, csrf;
  Headers read() const { return {{"Cookie", cookie}}; }
  Headers write() const { return {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}; }
};

struct EncryptedEngine {
  TempDir dir{"artery-encryption"};
  int http_port = free_port();
  int mllp_port = free_port();
  fs::path key_file = dir / "keys" / "artery.key";
  std::unique_ptr<EngineProcess> engine;
  Login admin;

  explicit EncryptedEngine(bool encrypt = true) {
    fs::create_directories(dir / "channels");
    write_text(dir / "channels/lab.yaml", lab_channel_yaml(mllp_port, dir / "out"));
    configure(encrypt);
  }
  void configure(bool encrypt) {
    write_text(dir / "artery.yaml", std::string("storage:\n  encrypt: ") + (encrypt ? "true" : "false") +
                                        "\n  key_file: " + key_file.string() + "\n");
  }
  fs::path data() const { return dir / "data"; }
  std::vector<std::string> run_args() const {
    return {"run",  "--config", (dir / "artery.yaml").string(), "--channels", (dir / "channels").string(),
            "--data", data().string(), "--http", "127.0.0.1:" + std::to_string(http_port)};
  }
  void start() {
    ::setenv("ARTERY_ADMIN_PASSWORD", kAdminPassword, 1);
    engine = std::make_unique<EngineProcess>(run_args(), dir / ("engine-" + std::to_string(++starts) + ".log"));
    const bool up = engine->wait_for_log("admin API and console on http://127.0.0.1:" + std::to_string(http_port));
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
    INFO(engine->log());
    REQUIRE(up);
    log_in();
  }
  void log_in() {
    json::object body{{"user", "admin"}, {"password", kAdminPassword}};
    auto reply = http_post_json(http_port, "/api/login", json::serialize(body));
    INFO(reply.body);
    REQUIRE(reply.status == 200);
    const std::string set_cookie = reply.header("set-cookie");
    admin.cookie = set_cookie.substr(0, set_cookie.find(';'));
    admin.csrf = std::string(json::parse(reply.body).as_object().at("csrf_token").as_string());
  }
  void stop() {
    REQUIRE(engine->stop(SIGTERM) == 0);
    engine.reset();
  }
  // Sends `count` messages on one connection; every one must be AA'd.
  void send(int from, int count) {
    MllpClient client(mllp_port);
    REQUIRE(client.ok());
    for (int i = from; i < from + count; ++i) {
      const std::string ack = client.exchange(patient_message("ENC-" + std::to_string(i)));
      INFO(ack);
      REQUIRE(ack.find("MSA|AA") != std::string::npos);
    }
  }
  json::object get(const std::string& target) {
    auto reply = http_get(http_port, target, admin.read());
    INFO(target << ": " << reply.body);
    REQUIRE(reply.status == 200);
    return json::parse(reply.body).as_object();
  }
  json::array search(const std::string& query) { return get("/api/messages?" + query).at("messages").as_array(); }
  // Every match, page by page (the API's pages hold at most 500).
  std::size_t count(const std::string& query) {
    std::size_t total = 0;
    std::int64_t before = 0;
    for (;;) {
      auto page = get("/api/messages?limit=500&" + query + (before ? "&before=" + std::to_string(before) : ""));
      const auto& messages = page.at("messages").as_array();
      total += messages.size();
      if (messages.empty() || !page.at("more").as_bool()) return total;
      before = messages.back().as_object().at("id").as_int64();
    }
  }
  int starts = 0;
};

std::string text(const json::object& o, const char* key) { return std::string(o.at(key).as_string()); }

// One bit of message `id`'s sealed raw content, changed in the database file
// (the engine stopped): what a tampered or damaged disk would hold.
void flip_sealed_raw_bit(const fs::path& database, std::int64_t id) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(database.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT raw FROM messages WHERE id = ?1", -1, &read, nullptr) == SQLITE_OK);
  sqlite3_bind_int64(read, 1, id);
  REQUIRE(sqlite3_step(read) == SQLITE_ROW);
  std::string raw(static_cast<const char*>(sqlite3_column_blob(read, 0)),
                  static_cast<std::size_t>(sqlite3_column_bytes(read, 0)));
  sqlite3_finalize(read);
  REQUIRE(raw.size() > 60);
  raw[40] = static_cast<char>(raw[40] ^ 0x01);  // one bit of the ciphertext
  sqlite3_stmt* write = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "UPDATE messages SET raw = ?1 WHERE id = ?2", -1, &write, nullptr) == SQLITE_OK);
  sqlite3_bind_blob(write, 1, raw.data(), static_cast<int>(raw.size()), SQLITE_STATIC);
  sqlite3_bind_int64(write, 2, id);
  REQUIRE(sqlite3_step(write) == SQLITE_DONE);
  sqlite3_finalize(write);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("encryption at rest: the store, its WAL and the intake log hold no name, NHS number or note, and the API "
          "shows them and searches by patient id and by word",
          "[encryption][integration]") {
  EncryptedEngine e;
  e.start();
  // The key file was created on first start, readable by the engine's user only.
  struct stat info {};
  REQUIRE(::stat(e.key_file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  CHECK(e.engine->log().find("encryption at rest on: key") != std::string::npos);

  e.send(1, 30);
  // Searchable: by patient id (a keyed hash in the file), by a word of the note.
  json::array by_word;
  REQUIRE(eventually([&] { return (by_word = e.search("q=zebrafinch&limit=100")).size() == 30; },
                     std::chrono::seconds(10)));
  CHECK(e.search(std::string("patient_id=") + kNhsNumber + "&limit=100").size() == 30);
  CHECK(e.search("patient_id=9434765918").empty());
  CHECK(e.search("q=warfarin%20dizziness&limit=100").size() == 30);
  CHECK(e.search("q=ostrich").empty());
  CHECK(e.search("control_id=ENC-7").size() == 1);  // control ids stay plain metadata
  const auto& listed = by_word.front().as_object();
  CHECK(text(listed, "patient_id") == kNhsNumber);
  // The content, in the clear, through the API.
  const auto detail = e.get("/api/messages/" + std::to_string(listed.at("id").as_int64()));
  CHECK(text(detail, "raw").find(kName) != std::string::npos);
  CHECK(text(detail, "raw").find(kNote) != std::string::npos);

  // The files, while the engine runs (WAL in use).
  CHECK(store_files(e.data()).size() >= 2);
  CHECK(plaintext_found(e.data()).empty());
  // Killed: the intake log's last segment stays on disk as it was written.
  e.engine->stop(SIGKILL);
  e.engine.reset();
  const auto files = store_files(e.data());
  CHECK(std::any_of(files.begin(), files.end(), [](const fs::path& f) { return f.extension() == ".log"; }));
  CHECK(plaintext_found(e.data()).empty());
  // Its sealed records replay, and every message reads back.
  e.start();
  CHECK(eventually([&] { return e.count("q=zebrafinch") == 30; }, std::chrono::seconds(10)));
  CHECK(text(e.get("/api/messages/30"), "raw").find(kNote) != std::string::npos);
  e.stop();
  CHECK(plaintext_found(e.data()).empty());
  // The file destination wrote the messages out, as it should: only the store is sealed.
  CHECK(read_bytes(e.dir / "out" / "message.hl7").find(kName) != std::string::npos);
}

TEST_CASE("encryption at rest: a store written without encryption is sealed in the background once it is on",
          "[encryption][integration]") {
  EncryptedEngine e(/*encrypt=*/false);
  e.start();
  e.send(1, 40);
  REQUIRE(eventually([&] { return e.search("q=zebrafinch&limit=100").size() == 40; }, std::chrono::seconds(10)));
  e.stop();
  CHECK_FALSE(plaintext_found(e.data()).empty());  // the test can see plaintext when it is there

  e.configure(/*encrypt=*/true);
  e.start();
  json::object status;
  REQUIRE(eventually([&] { return text(status = e.get("/api/keys/rotation"), "state") == "done"; },
                     std::chrono::seconds(20)));
  CHECK(text(status, "reason") == "encrypt");
  CHECK(status.at("messages_done").as_int64() == 40);
  CHECK(e.engine->wait_for_log("key pass done"));
  // Old and new messages read and search alike.
  e.send(41, 5);
  REQUIRE(eventually([&] { return e.search("q=zebrafinch&limit=100").size() == 45; }, std::chrono::seconds(10)));
  CHECK(e.search(std::string("patient_id=") + kNhsNumber + "&limit=100").size() == 45);
  CHECK(text(e.get("/api/messages/1"), "raw").find(kName) != std::string::npos);
  e.stop();
  const auto found = plaintext_found(e.data());
  INFO(::Catch::Detail::stringify(found));
  CHECK(found.empty());
}

TEST_CASE("encryption at rest: a wrong or missing key refuses to start and changes no file",
          "[encryption][integration]") {
  EncryptedEngine e;
  e.start();
  e.send(1, 5);
  e.stop();
  auto snapshot = [&] {
    std::map<std::string, std::string> out;
    for (const auto& file : store_files(e.data())) out[file.string()] = read_bytes(file);
    out[e.key_file.string()] = read_bytes(e.key_file);
    return out;
  };
  const auto before = snapshot();
  const std::string good_key = read_bytes(e.key_file);
  auto refused = [&](const std::string& says) {
    ::setenv("ARTERY_ADMIN_PASSWORD", kAdminPassword, 1);
    EngineProcess engine(e.run_args(), e.dir / "refused.log");
    ::unsetenv("ARTERY_ADMIN_PASSWORD");
    const bool exited = eventually([&] { return !engine.running(); }, std::chrono::seconds(20));
    INFO(engine.log());
    REQUIRE(exited);
    CHECK(engine.stop(SIGKILL) != 0);
    CHECK(engine.log().find(says) != std::string::npos);
    return engine.log();
  };

  // Another key in the key file (same format, mode 0600).
  write_text(e.key_file, "0badc0de AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= current\n");
  ::chmod(e.key_file.c_str(), 0600);
  CHECK(refused("wrong key").find(e.key_file.string()) != std::string::npos);
  // Another key in ARTERY_KEY.
  ::setenv("ARTERY_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
  refused("which ARTERY_KEY does not hold");
  ::unsetenv("ARTERY_KEY");
  // No key file at all: refused, and no new key is made up.
  fs::remove(e.key_file);
  CHECK(refused("missing key").find(e.key_file.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(e.key_file));
  // Encryption turned off on an encrypted store.
  write_text(e.key_file, good_key);
  ::chmod(e.key_file.c_str(), 0600);
  e.configure(false);
  refused("turn encryption on");

  // Byte for byte (a read-only look may leave an empty -wal where there was none).
  auto after = snapshot();
  const std::string wal = (e.data() / "artery.db-wal").string();
  if (!before.count(wal) && after.count(wal) && after[wal].empty()) after.erase(wal);
  CHECK(after == before);
  // The right key opens it again.
  e.configure(true);
  e.start();
  CHECK(text(e.get("/api/messages/3"), "raw").find(kName) != std::string::npos);
  e.stop();
}

TEST_CASE("encryption at rest: a tampered ciphertext byte is an error for that message, the engine serves on",
          "[encryption][integration]") {
  EncryptedEngine e;
  e.start();
  e.send(1, 3);
  REQUIRE(eventually([&] { return e.search("q=zebrafinch").size() == 3; }, std::chrono::seconds(10)));
  e.stop();
  flip_sealed_raw_bit(e.data() / "artery.db", 2);
  e.start();
  auto tampered = http_get(e.http_port, "/api/messages/2", e.admin.read());
  INFO(tampered.body);
  CHECK(tampered.status == 500);
  CHECK(tampered.body.find("messages/2/raw failed authentication") != std::string::npos);
  CHECK(tampered.body.find("MSH|") == std::string::npos);
  CHECK(text(e.get("/api/messages/1"), "raw").find(kName) != std::string::npos);
  // A listing names the damage instead of failing.
  const auto listed = e.search("limit=10");
  REQUIRE(listed.size() == 3);
  e.send(4, 1);
  CHECK(e.search("control_id=ENC-4").size() == 1);
  e.stop();
}

// A queued delivery is read back from the store after a restart: a row that
// fails authentication there becomes ERROR with the reason, and the
// deliveries queued behind it still go out (before, the read of the whole
// queue failed and was retried every second, for ever).
TEST_CASE("encryption at rest: a tampered queued delivery is ERROR, the queue behind it is delivered",
          "[encryption][integration]") {
  EncryptedEngine e;
  write_text(e.dir / "channels/lab.yaml", "name: lab\nsource:\n  type: mllp\n  listen: 127.0.0.1:" +
                                              std::to_string(e.mllp_port) +
                                              "\ndestinations:\n  - name: archive\n    type: file\n    directory: " +
                                              (e.dir / "out").string() +
                                              "\n    filename: archive.hl7\n    mode: append\n"
                                              "    retry: {max: 1000, initial: 100ms, max_delay: 200ms}\n");
  write_text(e.dir / "out", "a file where the archive folder should be: every write fails and is retried");
  e.start();
  e.send(1, 3);
  REQUIRE(eventually([&] { return e.search("q=zebrafinch").size() == 3; }, std::chrono::seconds(10)));
  e.stop();
  flip_sealed_raw_bit(e.data() / "artery.db", 2);
  fs::remove(e.dir / "out");
  e.start();
  const fs::path archive = e.dir / "out/archive.hl7";
  auto archived = [&] { return fs::exists(archive) ? read_bytes(archive) : std::string(); };
  const bool delivered = eventually(
      [&] { return archived().find("|ENC-1|") != std::string::npos && archived().find("|ENC-3|") != std::string::npos; },
      std::chrono::seconds(20));
  INFO(e.engine->log());
  REQUIRE(delivered);
  CHECK(archived().find("|ENC-2|") == std::string::npos);
  REQUIRE(eventually([&] { return e.search("state=ERROR").size() == 1; }, std::chrono::seconds(10)));
  CHECK(e.search("state=ERROR")[0].as_object().at("id").as_int64() == 2);
  CHECK(e.engine->wait_for_log("message 2 not sent: stored value messages/2/raw failed authentication"));
  e.stop();
}

TEST_CASE("encryption at rest: artery key rotate under continuous MLLP traffic loses nothing",
          "[encryption][integration]") {
  EncryptedEngine e;
  e.start();
  const std::string old_key = text(e.get("/api/keys/rotation"), "current_key");
  e.send(1, 300);  // enough stored for the pass to overlap the traffic
  // An API token for the command line, as an operator would use one.
  auto created = http_request(e.http_port, {"POST", "/api/tokens", e.admin.write(), R"({"name":"rotation"})"});
  REQUIRE(created.status == 201);
  ::setenv("ARTERY_TOKEN", std::string(json::parse(created.body).as_object().at("token").as_string()).c_str(), 1);

  std::atomic<bool> sending{true};
  std::atomic<int> acked{300};
  std::mutex failure_mutex;
  std::string failure;
  std::thread traffic([&] {
    MllpClient client(e.mllp_port);
    for (int i = 301; sending; ++i) {
      const std::string ack = client.exchange(patient_message("ENC-" + std::to_string(i)));
      if (ack.find("MSA|AA") == std::string::npos) {
        std::lock_guard lock(failure_mutex);
        failure = "message " + std::to_string(i) + ": " + ack;
        return;
      }
      acked = i;
      // Steady traffic (a few hundred a second), so checking each message after stays quick.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string output;
  const int rotated = run_artery({"key", "rotate", "--wait", "--server", "http://127.0.0.1:" +
                                                                              std::to_string(e.http_port)},
                                 output);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sending = false;
  traffic.join();
  ::unsetenv("ARTERY_TOKEN");
  INFO(output);
  REQUIRE(failure.empty());
  REQUIRE(rotated == 0);
  CHECK(output.find("key rotation started") != std::string::npos);
  CHECK(output.find("key pass: done (rotate)") != std::string::npos);
  const auto status = e.get("/api/keys/rotation");
  const std::string new_key = text(status, "current_key");
  CHECK(new_key != old_key);
  CHECK(status.at("old_keys").as_array().empty());
  // The key file holds the new key alone.
  const std::string keys = read_bytes(e.key_file);
  CHECK(keys.find(new_key + " ") != std::string::npos);
  CHECK(keys.find(old_key + " ") == std::string::npos);
  CHECK(e.engine->wait_for_log("key pass done"));

  // Every AA'd message is stored, readable and delivered (SENT to the file destination).
  const int total = acked;
  INFO("messages: " << total);
  CHECK(total > 300);
  REQUIRE(eventually([&] { return e.count("state=QUEUED") == 0; }));
  for (int i = 1; i <= total; ++i) {
    const auto found = e.search("control_id=ENC-" + std::to_string(i));
    REQUIRE(found.size() == 1);
    CHECK(text(found[0].as_object(), "state") == "SENT");
    if (i % 50 == 0 || i == total) {
      const auto detail = e.get("/api/messages/" + std::to_string(found[0].as_object().at("id").as_int64()));
      CHECK(text(detail, "raw").find("ENC-" + std::to_string(i) + "|") != std::string::npos);
    }
  }
  // Search still finds old and new messages under the new key.
  CHECK(e.count(std::string("patient_id=") + kNhsNumber) == static_cast<std::size_t>(total));
  CHECK(e.count("q=zebrafinch") == static_cast<std::size_t>(total));
  e.stop();
  CHECK(plaintext_found(e.data()).empty());
  // The rotated store opens with the rotated key file.
  e.start();
  CHECK(text(e.get("/api/messages/1"), "raw").find(kName) != std::string::npos);
  e.stop();
}

TEST_CASE("artery key: --help, usage errors exit 2, no engine listening exits 1", "[encryption][integration][cli]") {
  std::string output;
  CHECK(run_artery({"key", "--help"}, output) == 0);
  CHECK(output.rfind("usage: artery key rotate", 0) == 0);
  CHECK(run_artery({"key"}, output) == 2);
  CHECK(output.find("expected 'rotate' or 'status'") != std::string::npos);
  CHECK(run_artery({"key", "spin"}, output) == 2);
  ::unsetenv("ARTERY_TOKEN");
  const std::string nobody = "http://127.0.0.1:" + std::to_string(free_port());
  CHECK(run_artery({"key", "rotate", "--server", nobody}, output) == 1);
  CHECK(output.find("cannot connect") != std::string::npos);
}
