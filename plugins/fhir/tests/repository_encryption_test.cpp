// The repository with the engine's cipher (listener/repository.hpp,
// search_terms.hpp), on a real SQLite file: what reaches the file, searches
// over keyed hashes, tampering, opening a plaintext repository (sealed
// progressively) and a key rotation. The channel test
// (repository_encryption_channel_test.cpp) does the same through `artery run`.
#include "listener/repository.hpp"
#include "listener/search_index.hpp"
#include "listener/search_query.hpp"
#include "support/engine_process.hpp"

#include "crypto/value_keys.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

using namespace artery;
using namespace artery::fhir;
using artery::testing::TempDir;

namespace {

std::shared_ptr<const ValueCipher::Keys> ring(std::vector<char> secrets) {
  auto keys = std::make_shared<ValueCipher::Keys>();
  for (char c : secrets) keys->keys.push_back(crypto::make_value_key(std::string(32, c)));
  return keys;
}

const char* kPatient = R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"1"},
  "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
  "name":[{"family":"Quillfeather","given":["Ottoline"]}],"gender":"female","birthDate":"1961-04-12",
  "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Note: allergic to zanthoxylum</div>"}})";

PlannedWrite write_of(const std::string& text, std::int64_t version = 1) {
  auto parsed = boost::json::parse(text).as_object();
  PlannedWrite w;
  w.version.type = "Patient";
  w.version.id = std::string(parsed.at("id").as_string());
  w.version.version = version;
  w.version.last_updated_ms = 1'700'000'000'000 + version;
  w.version.json = text;
  w.rows = index_rows(parsed);
  return w;
}

std::string bytes_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every byte of the repository: the database, its WAL and shared memory.
std::string repository_bytes(const std::filesystem::path& file) {
  std::string all = bytes_of(file);
  for (const char* suffix : {"-wal", "-shm"})
    if (std::filesystem::exists(file.string() + suffix)) all += bytes_of(file.string() + suffix);
  return all;
}

std::vector<std::string> search_ids(Repository& repo, const std::string& params_text) {
  std::vector<std::pair<std::string, std::string>> params;
  auto eq = params_text.find('=');
  params.emplace_back(params_text.substr(0, eq), params_text.substr(eq + 1));
  auto terms = repo.terms();
  SearchResult r = repo.search(parse_search("Patient", params, 50, 100, *terms));
  std::vector<std::string> ids;
  for (const auto& m : r.matches) ids.push_back(m.id);
  return ids;
}

std::int64_t search_total(Repository& repo, const std::string& name, const std::string& value) {
  return repo.search(parse_search("Patient", {{name, value}}, 50, 100, *repo.terms())).total;
}

void wait_sealed(Repository& repo) {
  for (int i = 0; i < 200 && repo.sealing(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  REQUIRE_FALSE(repo.sealing());
}

const std::vector<std::string> kSecrets = {"Quillfeather", "quillfeather", "Ottoline", "ottoline", "9434765919",
                                           "zanthoxylum", "nhs-number"};

}  // namespace

TEST_CASE("fhir repository encryption: no name, identifier or note in the file, searches by hash still find it") {
  TempDir dir("artery-fhir-enc");
  const auto file = dir / "ehr.sqlite";
  ValueCipher cipher(ring({'a'}));
  {
    Repository repo(file, cipher, "ehr");
    repo.commit_now({write_of(kPatient)});
    repo.commit_now({write_of(R"({"resourceType":"Patient","id":"p2","name":[{"family":"Quint"}],"gender":"male"})")});

    auto read = repo.current("Patient", "p1");
    REQUIRE(read);
    CHECK(boost::json::parse(read->json) == boost::json::parse(kPatient));
    REQUIRE(repo.history("Patient", "p1").size() == 1);

    CHECK(search_ids(repo, "name=quillf") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "name=QUI").size() == 2);
    CHECK(search_ids(repo, "family=Quillfeather") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "family:exact=Quillfeather") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "family:exact=Quill").empty());
    CHECK(search_ids(repo, "given=otto") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "given=ottx").empty());
    CHECK(search_ids(repo, "identifier=9434765919") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "identifier=https://fhir.nhs.uk/Id/nhs-number|") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "identifier=https://other|9434765919").empty());
    CHECK(search_ids(repo, "gender=male") == std::vector<std::string>{"p2"});
    CHECK(search_ids(repo, "birthdate=1961") == std::vector<std::string>{"p1"});
    CHECK(search_ids(repo, "name:missing=true").empty());
    CHECK_THROWS_AS(parse_search("Patient", {{"_sort", "family"}}, 50, 100, *repo.terms()), SearchError);
    CHECK_NOTHROW(parse_search("Patient", {{"_sort", "birthdate"}}, 50, 100, *repo.terms()));

    const std::string raw = repository_bytes(file);
    for (const auto& secret : kSecrets) {
      INFO(secret);
      CHECK(raw.find(secret) == std::string::npos);
    }
    CHECK(raw.find("1961-04-12") == std::string::npos);  // the date's text; its [low, high) stays plain
  }
  // Reopened (the WAL checkpointed into the file): still nothing readable.
  {
    Repository repo(file, cipher, "ehr");
    CHECK(search_ids(repo, "name=ottol") == std::vector<std::string>{"p1"});
  }
  const std::string raw = bytes_of(file);
  for (const auto& secret : kSecrets) {
    INFO(secret);
    CHECK(raw.find(secret) == std::string::npos);
  }
}

TEST_CASE("fhir repository encryption: references, _include, conditional matches and a multi-write commit") {
  TempDir dir("artery-fhir-enc");
  const auto file = dir / "ehr.sqlite";
  ValueCipher cipher(ring({'a'}));
  Repository repo(file, cipher, "ehr");
  PlannedWrite observation;
  const std::string obs = R"({"resourceType":"Observation","id":"o1","status":"final",)"
                          R"("code":{"coding":[{"system":"http://loinc.org","code":"718-7"}]},)"
                          R"("subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-11-02T10:00:00Z"})";
  auto parsed = boost::json::parse(obs).as_object();
  observation.version = {"Observation", "o1", 1, 1'700'000'000'000, false, obs};
  observation.rows = index_rows(parsed);
  repo.commit_now({write_of(kPatient), observation});  // one commit, two writes (as a transaction Bundle)

  auto observations = [&](std::vector<std::pair<std::string, std::string>> params) {
    return repo.search(parse_search("Observation", params, 50, 100, *repo.terms()));
  };
  CHECK(observations({{"subject", "Patient/p1"}}).total == 1);
  CHECK(observations({{"patient", "p1"}}).total == 1);
  CHECK(observations({{"patient", "p2"}}).total == 0);
  CHECK(observations({{"code", "http://loinc.org|718-7"}}).total == 1);
  CHECK(observations({{"status", "final,amended"}}).total == 1);
  CHECK(observations({{"date", "2026-11-02"}}).total == 1);
  auto included = observations({{"patient", "p1"}, {"_include", "Observation:subject"}});
  REQUIRE(included.included.size() == 1);
  CHECK(included.included[0].id == "p1");
  // What a conditional create's If-None-Exist runs.
  CHECK(repo.match_ids(parse_search("Patient", {{"identifier", "https://fhir.nhs.uk/Id/nhs-number|9434765919"}}, 2, 2,
                                    *repo.terms()),
                       2) == std::vector<std::string>{"p1"});
  const std::string raw = repository_bytes(file);
  CHECK(raw.find("718-7") == std::string::npos);
  CHECK(raw.find("loinc") == std::string::npos);
}

TEST_CASE("fhir repository encryption: a tampered or swapped version is refused, never decrypted into garbage") {
  TempDir dir("artery-fhir-enc");
  const auto file = dir / "ehr.sqlite";
  ValueCipher cipher(ring({'a'}));
  {
    Repository repo(file, cipher, "ehr");
    repo.commit_now({write_of(kPatient)});
    repo.commit_now({write_of(R"({"resourceType":"Patient","id":"p2","gender":"male"})")});
  }
  {
    // One byte of p1's ciphertext flipped; p2 given p1's (valid) sealed JSON.
    SqliteDb db(file);
    std::string p1;
    {
      SqliteStatement s(db, "SELECT json FROM resource_versions WHERE id = 'p1'");
      REQUIRE(s.step());
      p1 = s.text(0);
    }
    REQUIRE(p1.size() > 40);
    SqliteStatement swap(db, "UPDATE resource_versions SET json = ?1 WHERE id = 'p2'");
    swap.bind_blob(1, p1).step();
    p1[40] = static_cast<char>(p1[40] ^ 1);
    SqliteStatement flip(db, "UPDATE resource_versions SET json = ?1 WHERE id = 'p1'");
    flip.bind_blob(1, p1).step();
  }
  Repository repo(file, cipher, "ehr");
  CHECK_THROWS_AS(repo.current("Patient", "p1"), ValueTampered);
  CHECK_THROWS_AS(repo.current("Patient", "p2"), ValueTampered);  // p1's value under p2's identity
}

TEST_CASE("fhir repository encryption: a sealed repository refuses to open without its key, and changes nothing") {
  TempDir dir("artery-fhir-enc");
  const auto file = dir / "ehr.sqlite";
  {
    ValueCipher cipher(ring({'a'}));
    Repository repo(file, cipher, "ehr");
    repo.commit_now({write_of(kPatient)});
  }
  const std::string before = bytes_of(file);
  ValueCipher other(ring({'b'}));
  CHECK_THROWS_WITH(Repository(file, other, "ehr"), Catch::Contains("key the engine does not have"));
  CHECK_THROWS_WITH(Repository(file), Catch::Contains("encryption is off"));
  CHECK(bytes_of(file) == before);
  ValueCipher cipher(ring({'a'}));
  Repository repo(file, cipher, "ehr");
  CHECK(repo.current("Patient", "p1"));
}

TEST_CASE("fhir repository encryption: a plaintext repository opens, searches work while it is sealed progressively") {
  TempDir dir("artery-fhir-enc");
  const auto file = dir / "ehr.sqlite";
  {
    Repository plain(file);
    std::vector<PlannedWrite> writes;
    for (int i = 0; i < 600; ++i)  // more than one batch of the pass
      writes.push_back(write_of(R"({"resourceType":"Patient","id":"x)" + std::to_string(i) +
                                R"(","name":[{"family":"Filler"}]})"));
    writes.push_back(write_of(kPatient));
    plain.commit_now(writes);
    CHECK(search_ids(plain, "family=quill") == std::vector<std::string>{"p1"});
  }
  CHECK(repository_bytes(file).find("Quillfeather") != std::string::npos);

  ValueCipher cipher(ring({'a'}));
  Repository repo(file, cipher, "ehr");
  // Old and new rows alike, during the pass and after it.
  repo.commit_now({write_of(R"({"resourceType":"Patient","id":"p3","name":[{"family":"Quillon"}]})")});
  CHECK(search_ids(repo, "family=quill").size() == 2);
  CHECK(repo.current("Patient", "p1"));
  wait_sealed(repo);
  CHECK(search_ids(repo, "family=quill").size() == 2);
  CHECK(search_ids(repo, "identifier=9434765919") == std::vector<std::string>{"p1"});
  CHECK(search_total(repo, "family", "filler") == 600);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT (SELECT count(*) FROM resource_versions WHERE typeof(json) = 'text'),"
                               " (SELECT count(*) FROM search_index WHERE typeof(value) = 'text')",
                               -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    CHECK(sqlite3_column_int(s, 0) == 0);
    CHECK(sqlite3_column_int(s, 1) == 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  const std::string raw = repository_bytes(file);
  for (const auto& secret : kSecrets) {
    INFO(secret);
    CHECK(raw.find(secret) == std::string::npos);
  }
}

TEST_CASE("fhir repository encryption: after a key rotation rows are found under both keys, then resealed") {
  TempDir dir("artery-fhir-enc");
  const auto file = dir / "ehr.sqlite";
  ValueCipher cipher(ring({'a'}));
  // What the repository tells the engine's key pass (which keeps the old
  // key readable until the repository names the new one).
  std::mutex reports_mutex;
  std::vector<std::pair<std::string, std::uint32_t>> reports;
  cipher.on_store_sealed([&](const std::string& store, std::uint32_t key_id) {
    std::lock_guard lock(reports_mutex);
    reports.emplace_back(store, key_id);
  });
  auto reported = [&] {
    std::lock_guard lock(reports_mutex);
    return reports;
  };
  auto repo = std::make_unique<Repository>(file, cipher, "ehr");
  repo->commit_now({write_of(kPatient)});
  const std::uint32_t key_a = cipher.keys()->current().id;
  REQUIRE(reported().size() == 1);
  CHECK(reported().back() == std::make_pair(std::string("fhir/ehr"), key_a));
  cipher.replace_keys(ring({'b', 'a'}));  // what `artery key rotate` does: new key current, old still readable
  const std::uint32_t key_b = cipher.keys()->current().id;
  repo->commit_now({write_of(R"({"resourceType":"Patient","id":"p2","name":[{"family":"Quillon"}]})")});
  CHECK(search_ids(*repo, "family=quill").size() == 2);
  // The writer notices within a second and seals p1 again under the new key.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  wait_sealed(*repo);
  CHECK(reported().back() == std::make_pair(std::string("fhir/ehr"), key_b));
  repo.reset();
  ValueCipher only_new(ring({'b'}));
  Repository reopened(file, only_new, "ehr");
  CHECK(reopened.current("Patient", "p1"));
  CHECK(search_ids(reopened, "family=quill").size() == 2);
  CHECK(search_ids(reopened, "identifier=9434765919") == std::vector<std::string>{"p1"});
}
