// Message search on real SQLite files: every filter, paging, summaries, the
// full-text index's quoting of hostile input, the indexer's lag, prune of
// indexed messages, and the upgrade of a v2 store.
#include "store/message_store.hpp"
#include "store/message_search.hpp"
#include "store/search_indexer.hpp"
#include "store/text_search_terms.hpp"

#include <sqlite3.h>

#include "support/engine_process.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

using namespace artery;
using artery::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<MessageStore> open_store(const fs::path& file) {
  std::string error;
  auto store = MessageStore::open(file, Durability::normal, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Sample {
  std::string channel = "lab";
  std::string control_id;
  std::string patient_id;
  std::string message_type = "ORU^R01";
  std::string words;  // free text in an NTE segment
  MessageState state = MessageState::sent;
  std::int64_t received_at_ms = 0;
  std::string transformed;
  std::string transformed_type;
};

NewMessage make(const Sample& s) {
  NewMessage m;
  m.channel = s.channel;
  m.received_at_ms = s.received_at_ms ? s.received_at_ms : now_ms();
  m.state = s.state;
  m.data_type = "HL7V2";
  m.raw = "MSH|^~\\&|LAB|HOSP|EPR|HOSP|20240101||" + s.message_type + "|" + s.control_id + "|P|2.5\rPID|1||" +
          s.patient_id + "^^^MRN||DOE^JANE\rNTE|1||" + s.words;
  m.transformed = s.transformed;
  m.transformed_type = s.transformed_type;
  m.message_type = s.message_type;
  m.control_id = s.control_id;
  m.patient_id = s.patient_id;
  m.error = s.state == MessageState::error ? "it failed" : "";
  m.vars_json = R"({"k":"v"})";
  return m;
}

std::int64_t insert_now(MessageStore& store, const Sample& s) {
  std::promise<std::pair<std::int64_t, std::string>> result;
  store.insert(make(s), [&](std::int64_t id, const std::string& error) { result.set_value({id, error}); });
  auto [id, error] = result.get_future().get();
  INFO(error);
  REQUIRE(id > 0);
  return id;
}

std::vector<std::int64_t> ids_of(const MessagePage& page) {
  std::vector<std::int64_t> ids;
  for (const auto& m : page.messages) ids.push_back(m.id);
  return ids;
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

std::string query_text(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// 40 messages: channel lab/adt alternating, states cycling, distinct control
// and patient ids (patients repeat every 10), two types, one second apart.
struct Fixture {
  TempDir dir;
  std::unique_ptr<MessageStore> store;
  std::vector<std::int64_t> ids;
  std::int64_t t0 = now_ms() - 3600 * 1000;

  Fixture() {
    store = open_store(dir.path() / "artery.db");
    const MessageState states[] = {MessageState::sent, MessageState::error, MessageState::queued,
                                   MessageState::filtered};
    for (int i = 0; i < 40; ++i) {
      Sample s;
      s.channel = i % 2 ? "adt" : "lab";
      s.control_id = "CTL" + std::to_string(i);
      s.patient_id = "P" + std::to_string(i % 10);
      s.message_type = i % 2 ? "ADT^A01" : "ORU^R01";
      s.state = states[i % 4];
      s.received_at_ms = t0 + i * 1000;
      s.words = i % 5 == 0 ? "potassium high" : "sodium normal";
      if (i == 13) {
        s.transformed = R"({"note":"transformed zebra"})";
        s.transformed_type = "json";
      }
      if (i == 14) s.transformed = "MSH|^~\\&|LAB|HOSP|EPR|HOSP|20240101||ORU^R01|CTL14|P|2.5\rNTE|1||yak";
      ids.push_back(insert_now(*store, s));
    }
  }
  MessagePage run(const MessageQuery& q) { return store->search_page(q); }
};

}  // namespace

TEST_CASE("search: metadata filters, alone and combined, newest first", "[store][search]") {
  Fixture f;
  MessageQuery q;

  SECTION("no filter: everything, newest first") {
    auto page = f.run(q);
    REQUIRE(page.messages.size() == 40);
    CHECK(page.messages.front().id == f.ids.back());
    CHECK_FALSE(page.has_more);
  }
  SECTION("channel") {
    q.channel = "adt";
    auto page = f.run(q);
    REQUIRE(page.messages.size() == 20);
    for (auto& m : page.messages) CHECK(m.channel == "adt");
  }
  SECTION("one state, and the older single-state field") {
    q.states = {MessageState::error};
    auto page = f.run(q);
    REQUIRE(page.messages.size() == 10);
    for (auto& m : page.messages) CHECK(m.state == MessageState::error);
    MessageQuery old;
    old.state = MessageState::error;
    CHECK(ids_of(f.run(old)) == ids_of(page));
  }
  SECTION("several states, merged newest first") {
    q.states = {MessageState::queued, MessageState::error};
    auto page = f.run(q);
    REQUIRE(page.messages.size() == 20);
    for (std::size_t i = 1; i < page.messages.size(); ++i) CHECK(page.messages[i - 1].id > page.messages[i].id);
    q.limit = 3;
    auto first = f.run(q);
    CHECK(ids_of(first) == std::vector<std::int64_t>{f.ids[38], f.ids[37], f.ids[34]});
    CHECK(first.has_more);
  }
  SECTION("channel and state") {
    q.channel = "lab";
    q.states = {MessageState::queued};  // i % 4 == 2: all even, all lab
    CHECK(f.run(q).messages.size() == 10);
    q.channel = "adt";
    CHECK(f.run(q).messages.empty());
  }
  SECTION("received time: since, until, both") {
    q.since_ms = f.t0 + 30000;
    CHECK(f.run(q).messages.size() == 10);  // 30..39
    q.since_ms = 0;
    q.until_ms = f.t0 + 5000;
    auto until = f.run(q);
    CHECK(ids_of(until) == std::vector<std::int64_t>{f.ids[4], f.ids[3], f.ids[2], f.ids[1], f.ids[0]});
    q.since_ms = f.t0 + 10000;
    q.until_ms = f.t0 + 12000;
    CHECK(ids_of(f.run(q)) == std::vector<std::int64_t>{f.ids[11], f.ids[10]});
    q.since_ms = now_ms() + 3600 * 1000;  // the future
    q.until_ms = 0;
    CHECK(f.run(q).messages.empty());
  }
  SECTION("control id, patient id and message type are exact") {
    q.control_id = "CTL17";
    auto page = f.run(q);
    REQUIRE(page.messages.size() == 1);
    CHECK(page.messages[0].id == f.ids[17]);
    q.control_id = "ctl17";  // case-sensitive
    CHECK(f.run(q).messages.empty());
    q.control_id = "CTL1";  // no prefix match
    CHECK(f.run(q).messages.size() == 1);
    q.control_id.clear();
    q.patient_id = "P3";  // 3 13 23 33
    CHECK(ids_of(f.run(q)) == std::vector<std::int64_t>{f.ids[33], f.ids[23], f.ids[13], f.ids[3]});
    q.patient_id.clear();
    q.message_type = "ADT^A01";
    CHECK(f.run(q).messages.size() == 20);
    q.message_type = "ADT";  // a word of the type, but not the type
    CHECK(f.run(q).messages.empty());
    REQUIRE(f.store->wait_until_indexed(std::chrono::seconds(10)));
    q.message_type = "ADT^A01";
    CHECK(f.run(q).messages.size() == 20);
    Sample odd;
    odd.control_id = "--";  // no word: not in the key index, found by a scan
    odd.patient_id = "P3";
    const std::int64_t odd_id = insert_now(*f.store, odd);
    REQUIRE(f.store->wait_until_indexed(std::chrono::seconds(10)));
    MessageQuery by_odd;
    by_odd.control_id = "--";
    CHECK(ids_of(f.run(by_odd)) == std::vector<std::int64_t>{odd_id});
    by_odd.control_id = "-";
    CHECK(f.run(by_odd).messages.empty());
  }
  SECTION("keys combined with the other filters, before and after indexing") {
    for (int pass = 0; pass < 2; ++pass) {
      if (pass == 1) REQUIRE(f.store->wait_until_indexed(std::chrono::seconds(10)));
      MessageQuery k;
      k.patient_id = "P3";
      k.message_type = "ADT^A01";
      k.states = {MessageState::error, MessageState::sent};  // 3: i%4=3 filtered; 13: error; 23: queued; 33: error
      CHECK(ids_of(f.run(k)) == std::vector<std::int64_t>{f.ids[33], f.ids[13]});
      k.since_ms = f.t0 + 20000;
      CHECK(ids_of(f.run(k)) == std::vector<std::int64_t>{f.ids[33]});
      k.channel = "lab";
      CHECK(f.run(k).messages.empty());
    }
    CHECK(f.store->indexed_through() == f.ids.back());
  }
}

TEST_CASE("search: free text through the full-text index", "[store][search]") {
  Fixture f;
  MessageQuery q;
  q.text = "potassium";
  // Not indexed yet, the text filter does not see them; the page says so.
  REQUIRE(f.store->wait_until_indexed(std::chrono::seconds(10)));
  auto page = f.run(q);
  CHECK(page.indexed_through == f.ids.back());
  CHECK(ids_of(page) ==
        std::vector<std::int64_t>{f.ids[35], f.ids[30], f.ids[25], f.ids[20], f.ids[15], f.ids[10], f.ids[5], f.ids[0]});

  q.text = "POTASSIUM High";  // case-insensitive; every word must occur
  CHECK(f.run(q).messages.size() == 8);
  q.text = "potassium normal";
  CHECK(f.run(q).messages.empty());
  q.text = "ORU^R01";  // the words ORU and R01
  CHECK(f.run(q).messages.size() == 20);
  q.text = "potass";  // whole words only
  CHECK(f.run(q).messages.empty());
  q.text = "zebra";  // in transformed content of another type (JSON from HL7)
  CHECK(ids_of(f.run(q)) == std::vector<std::int64_t>{f.ids[13]});
  q.text = "yak";  // an HL7 transform of HL7 is not indexed (it repeats raw)
  CHECK(f.run(q).messages.empty());
  q.text = "CTL17";  // the control id as it appears in the raw message
  CHECK(ids_of(f.run(q)) == std::vector<std::int64_t>{f.ids[17]});

  q.text = "sodium";
  q.channel = "adt";
  q.states = {MessageState::error};
  q.since_ms = f.t0 + 20000;
  // adt (odd), error (i%4==1), since 20: 21 25 29 33 37; sodium: not i%5==0 -> 21 29 33 37
  CHECK(ids_of(f.run(q)) == std::vector<std::int64_t>{f.ids[37], f.ids[33], f.ids[29], f.ids[21]});
  q.control_id = "CTL29";  // a key drives, text filters
  CHECK(ids_of(f.run(q)) == std::vector<std::int64_t>{f.ids[29]});
  q.text = "potassium";
  CHECK(f.run(q).messages.empty());
}

TEST_CASE("search: FTS syntax in the user's text is searched as words, never run", "[store][search]") {
  CHECK(fts_match_expression("a\"b") == "\"a\" \"b\"");
  CHECK(fts_match_expression("OR") == "\"OR\"");
  CHECK(fts_match_expression("NEAR(x y)") == "\"NEAR\" \"x\" \"y\"");
  CHECK(fts_match_expression("raw:secret*") == "\"raw\" \"secret\"");
  CHECK(fts_match_expression("-x ^y") == "\"x\" \"y\"");
  CHECK(fts_match_expression("\"  * - ( ) :").empty());
  CHECK(fts_match_expression("Müller") == "\"Müller\"");  // non-ASCII bytes stay in the word
  std::string many;
  for (int i = 0; i <= max_search_words; ++i) many += "w" + std::to_string(i) + " ";
  CHECK_THROWS_AS(fts_match_expression(many), std::invalid_argument);

  TempDir dir;
  auto store = open_store(dir.path() / "artery.db");
  Sample s;
  s.control_id = "C1";
  s.patient_id = "P1";
  s.words = "results OR NEAR the ward";
  const std::int64_t with_or = insert_now(*store, s);
  s.control_id = "C2";
  s.words = "nothing to see";
  insert_now(*store, s);
  REQUIRE(store->wait_until_indexed(std::chrono::seconds(10)));

  for (const char* hostile : {"\"", "*", "-", "(", "\"\"\"", "NEAR(", "OR", "AND", "NOT", "a OR b", "NEAR(a b, 2)",
                              "raw:see", "^see", "see*", "\"see", "{raw transformed}:see", "+see", "see -to"}) {
    MessageQuery q;
    q.text = hostile;
    INFO(hostile);
    CHECK_NOTHROW(store->search_page(q));
  }
  auto found = [&](const char* text) {
    MessageQuery q;
    q.text = text;
    return ids_of(store->search_page(q));
  };
  CHECK(found("OR") == std::vector<std::int64_t>{with_or});    // the word "or", not an operator
  CHECK(found("NEAR(") == std::vector<std::int64_t>{with_or});  // the word "near"
  CHECK(found("\"").empty());  // no word: nothing, rather than everything
  CHECK(found("*").empty());
  CHECK(found("-").empty());
  CHECK(found("see -to").size() == 1);  // "-" is no NOT: see and to
  CHECK(found("raw:see").empty());      // no column filter: the words raw and see
  CHECK(found("a OR b").empty());       // all three words
}

TEST_CASE("search: pages by before_id with has_more, and summaries without content", "[store][search]") {
  Fixture f;
  MessageQuery q;
  q.limit = 15;
  std::vector<std::int64_t> seen;
  int pages = 0;
  for (;;) {
    auto page = f.run(q);
    ++pages;
    for (auto id : ids_of(page)) seen.push_back(id);
    if (!page.has_more) break;
    q.before_id = page.messages.back().id;
  }
  CHECK(pages == 3);
  std::vector<std::int64_t> expected(f.ids.rbegin(), f.ids.rend());
  CHECK(seen == expected);

  // Paging by a key crosses from the unindexed newest to the indexed rows.
  REQUIRE(f.store->wait_until_indexed(std::chrono::seconds(10)));
  std::vector<std::int64_t> newer;
  for (int i = 0; i < 5; ++i) {
    Sample s;
    s.patient_id = "P3";
    s.control_id = "NEW" + std::to_string(i);
    newer.push_back(insert_now(*f.store, s));
  }
  MessageQuery by_patient;
  by_patient.patient_id = "P3";
  by_patient.limit = 3;
  std::vector<std::int64_t> all;
  for (;;) {
    auto page = f.run(by_patient);
    for (auto id : ids_of(page)) all.push_back(id);
    if (!page.has_more) break;
    by_patient.before_id = page.messages.back().id;
  }
  CHECK(all == std::vector<std::int64_t>{newer[4], newer[3], newer[2], newer[1], newer[0], f.ids[33], f.ids[23],
                                         f.ids[13], f.ids[3]});

  MessageQuery summary;
  summary.with_content = false;
  summary.control_id = "CTL13";
  auto page = f.run(summary);
  REQUIRE(page.messages.size() == 1);
  const MessageRecord& m = page.messages[0];
  CHECK(m.control_id == "CTL13");
  CHECK(m.patient_id == "P3");
  CHECK(m.message_type == "ADT^A01");
  CHECK(m.state == MessageState::error);
  CHECK(m.received_at_ms == f.t0 + 13000);
  CHECK(m.raw.empty());
  CHECK(m.transformed.empty());
  CHECK(m.error.empty());
  CHECK(m.vars_json.empty());
  CHECK(m.raw_bytes > 50);
  summary.with_content = true;
  auto full = f.run(summary);
  REQUIRE(full.messages.size() == 1);
  CHECK(static_cast<std::int64_t>(full.messages[0].raw.size()) == m.raw_bytes);
  CHECK(full.messages[0].transformed.find("zebra") != std::string::npos);
  CHECK(full.messages[0].error == "it failed");

  MessageQuery large;  // no maximum in the store: older callers read whole channels
  large.limit = 5000;
  CHECK(f.run(large).messages.size() == 45);  // with the 5 newer ones
  large.limit = 0;
  CHECK(f.run(large).messages.empty());
  MessageQuery wordy;
  for (int i = 0; i <= max_search_words; ++i) wordy.text += "w" + std::to_string(i) + " ";
  CHECK_THROWS_AS(f.run(wordy), std::invalid_argument);
}

TEST_CASE("search: the indexer's lag is bounded", "[store][search]") {
  TempDir dir;
  auto store = open_store(dir.path() / "artery.db");
  // Documented bound (docs/operations.md): SearchIndexer::delay after the
  // writer's commit, plus one index transaction. Slack for a busy machine.
  const auto bound = SearchIndexer::delay + std::chrono::milliseconds(900);
  for (int round = 0; round < 3; ++round) {
    Sample s;
    s.control_id = "LAG" + std::to_string(round);
    s.words = "marker" + std::to_string(round);
    const auto start = std::chrono::steady_clock::now();
    const std::int64_t id = insert_now(*store, s);
    MessageQuery q;
    q.text = s.words;
    bool found = false;
    while (!found && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      auto page = store->search_page(q);
      found = !page.messages.empty() && page.messages[0].id == id;
      if (!found) {
        CHECK(page.indexed_through < id);  // not found only while the watermark says it is not indexed
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    const auto lag = std::chrono::steady_clock::now() - start;
    INFO("lag " << std::chrono::duration_cast<std::chrono::milliseconds>(lag).count() << " ms");
    CHECK(found);
    CHECK(lag < bound);
  }
}

TEST_CASE("search: prune removes indexed messages from the indexes", "[store][search]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  auto store = open_store(file);
  for (int i = 0; i < 20; ++i) {
    Sample s;
    s.control_id = "PR" + std::to_string(i);
    s.words = i < 10 ? "oldword" : "newword";
    s.received_at_ms = now_ms() - (i < 10 ? 7200 * 1000 : 0);
    insert_now(*store, s);
  }
  REQUIRE(store->wait_until_indexed(std::chrono::seconds(10)));
  CHECK(store->prune("lab", std::chrono::hours(1), std::nullopt) == 10);
  MessageQuery q;
  q.text = "oldword";
  CHECK(store->search_page(q).messages.empty());
  q.text = "newword";
  CHECK(store->search_page(q).messages.size() == 10);
  MessageQuery key;
  key.control_id = "PR3";
  CHECK(store->search_page(key).messages.empty());
  store.reset();
  CHECK(query_text(file, "SELECT count(*) FROM message_keys WHERE message_keys MATCH '\"PR3\"'") == "0");
  CHECK(query_text(file, "SELECT count(*) FROM message_keys WHERE message_keys MATCH '\"PR13\"'") == "1");
  exec_sql(file, "INSERT INTO message_keys(message_keys, rank) VALUES ('integrity-check', 0)");
  exec_sql(file, "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 0)");
}

TEST_CASE("search: a v2 store is upgraded to v3 and its messages are indexed", "[store][search]") {
  TempDir dir;
  auto file = dir.path() / "artery.db";
  // The v2 schema as the previous engine created it, with messages in it.
  std::string sql = R"sql(
PRAGMA journal_mode = WAL;
CREATE TABLE messages (id INTEGER PRIMARY KEY, channel TEXT NOT NULL, received_at INTEGER NOT NULL,
  state TEXT NOT NULL, data_type TEXT NOT NULL DEFAULT '', raw BLOB, transformed BLOB,
  transformed_type TEXT NOT NULL DEFAULT '', message_type TEXT NOT NULL DEFAULT '',
  control_id TEXT NOT NULL DEFAULT '', patient_id TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
  vars_json TEXT NOT NULL DEFAULT '', attributes_json TEXT NOT NULL DEFAULT '',
  origin_channel TEXT NOT NULL DEFAULT '', origin_message_id INTEGER NOT NULL DEFAULT 0);
CREATE INDEX messages_by_channel ON messages(channel, id);
CREATE TABLE deliveries (message_id INTEGER NOT NULL, channel TEXT NOT NULL, destination TEXT NOT NULL,
  seq INTEGER NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0, sent_content BLOB, response BLOB, error TEXT,
  updated_at INTEGER NOT NULL, PRIMARY KEY (message_id, destination)) WITHOUT ROWID;
CREATE INDEX deliveries_pending ON deliveries(channel, destination, message_id) WHERE state = 'QUEUED';
CREATE TABLE counters (channel TEXT NOT NULL, destination TEXT NOT NULL, received INTEGER NOT NULL DEFAULT 0,
  filtered INTEGER NOT NULL DEFAULT 0, queued INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0,
  errored INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (channel, destination));
CREATE TABLE kv (channel TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (channel, key));
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
  role TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, user TEXT NOT NULL, action TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '');
CREATE INDEX audit_log_by_time ON audit_log(time);
CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE INDEX messages_by_origin ON messages(origin_message_id) WHERE origin_message_id > 0;
BEGIN;
)sql";
  const std::int64_t t0 = now_ms() - 60000;
  constexpr int old_messages = 20000;  // more than one index chunk: the backfill takes several transactions
  static_assert(old_messages > SearchIndexer::max_chunk);
  for (int i = 1; i <= old_messages; ++i) {
    sql += "INSERT INTO messages (id, channel, received_at, state, data_type, raw, message_type, control_id, "
           "patient_id) VALUES (" +
           std::to_string(i) + ", 'lab', " + std::to_string(t0 + i) + ", 'SENT', 'HL7V2', CAST('MSH|^~\\&|A|B|C|D|1||ORU^R01|OLD" +
           std::to_string(i) + "|P|2.5' || char(13) || 'NTE|1||" + (i % 1000 == 0 ? "rareword" : "common") +
           "' AS BLOB), 'ORU^R01', 'OLD" + std::to_string(i) + "', 'PAT" + std::to_string(i % 100) + "');\n";
  }
  sql += "INSERT INTO store_meta VALUES ('id_floor', " + std::to_string(old_messages) +
         ");\nCOMMIT;\nPRAGMA user_version = 2;\n";
  exec_sql(file, sql);

  auto store = open_store(file);
  CHECK(query_text(file, "PRAGMA user_version") == "4");
  // Found at once by key (the unindexed scan), and by text once backfilled.
  MessageQuery key;
  key.control_id = "OLD12345";
  REQUIRE(store->search_page(key).messages.size() == 1);
  REQUIRE(store->wait_until_indexed(std::chrono::seconds(30)));
  CHECK(store->indexed_through() == old_messages);
  auto again = store->search_page(key);
  REQUIRE(again.messages.size() == 1);
  CHECK(again.messages[0].id == 12345);
  MessageQuery text;
  text.text = "rareword";
  CHECK(store->search_page(text).messages.size() == old_messages / 1000);
  MessageQuery patient;
  patient.patient_id = "PAT7";
  patient.limit = 1000;
  CHECK(store->search_page(patient).messages.size() == old_messages / 100);

  // New messages after the upgrade get ids above the old ones and are indexed too.
  Sample s;
  s.control_id = "NEW1";
  s.words = "rareword";
  const std::int64_t id = insert_now(*store, s);
  CHECK(id > old_messages);
  REQUIRE(store->wait_until_indexed(std::chrono::seconds(10)));
  CHECK(store->search_page(text).messages.front().id == id);

  // Reopened, it stays v3 and indexed (nothing is backfilled twice).
  store.reset();
  store = open_store(file);
  CHECK(store->indexed_through() == id);
  CHECK(query_text(file, "SELECT count(*) FROM message_keys WHERE message_keys MATCH '\"OLD1\"'") == "1");
}
