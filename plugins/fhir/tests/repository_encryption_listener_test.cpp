// The fhir listener (`repository: true`) on a real loopback port with a
// connector context whose value_cipher() is enabled, as the engine's is with
// storage encryption on: the listener hands the context's cipher and the
// channel's name to its repository. HTTP in, the raw SQLite file grepped,
// a row tampered behind the listener's back answered 500. The channel test
// (repository_encryption_channel_test.cpp) does this through `artery run`.
#include "fhir_connectors.hpp"
#include "listener/sqlite_db.hpp"
#include "repository_fixture.hpp"

#include "crypto/value_keys.hpp"

#include <fstream>
#include <iterator>
#include <mutex>

using namespace artery::testing;

namespace {

class CipherContext : public artery::ConnectorContext {
 public:
  CipherContext(std::filesystem::path data, const artery::ValueCipher& cipher) : data_(std::move(data)), cipher_(cipher) {}
  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(artery::LogLevel, std::string_view text) override {
    std::lock_guard lock(mutex_);
    log_ += std::string(text) + "\n";
  }
  std::optional<std::string> state_get(std::string_view) override { return std::nullopt; }
  void state_put(std::string_view, std::string_view) override {}
  std::filesystem::path base_dir() const override { return data_; }
  std::filesystem::path data_dir() const override { return data_; }
  const artery::ValueCipher& value_cipher() const override { return cipher_; }

 private:
  std::filesystem::path data_;
  const artery::ValueCipher& cipher_;
  std::string channel_ = "ehr", connector_ = "source", log_;
  std::mutex mutex_;
};

// Accepts every write, as a channel without a script does.
class AcceptingHost : public artery::SourceHost {
 public:
  void submit(artery::Message, std::function<void(artery::Disposition)> done) override { done({}); }
};

std::string bytes_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

HttpReply call(int port, const std::string& method, const std::string& path, const std::string& body = "") {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!body.empty()) headers.emplace_back("Content-Type", "application/fhir+json");
  return http_request(port, {method, "/fhir" + path, std::move(headers), body});
}

}  // namespace

TEST_CASE("fhir listener with the context's cipher: the file holds no Patient detail, search and read work, "
          "a tampered row answers 500") {
  TempDir dir("artery-fhir-enc-listener");
  auto keys = std::make_shared<artery::ValueCipher::Keys>();
  keys->keys.push_back(artery::crypto::make_value_key(std::string(32, 'z')));
  artery::ValueCipher cipher(keys);
  CipherContext context(dir / "data", cipher);
  const int port = free_port();
  artery::ConnectorOptions options;
  options.tree.put("listen", "127.0.0.1:" + std::to_string(port));
  options.tree.put("repository", "true");
  std::string error;
  auto source = artery::fhir::create_source(options, context, error);
  INFO(error);
  REQUIRE(source);
  AcceptingHost host;
  REQUIRE(source->start(host, error));

  const std::string patient =
      R"({"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],)"
      R"("name":[{"family":"Quillfeather","given":["Ottoline"]}],)"
      R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Note: allergic to zanthoxylum</div>"}})";
  auto created = call(port, "POST", "/Patient", patient);
  INFO(created.body);
  REQUIRE(created.status == 201);
  const std::string id = str(json_of(created).at("id"));
  // A conditional create with the same identifier finds it by its hash.
  auto again = http_request(port, {"POST", "/fhir/Patient",
                                   {{"Content-Type", "application/fhir+json"},
                                    {"If-None-Exist", "identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"}},
                                   patient});
  CHECK(again.status == 200);
  auto search = call(port, "GET", "/Patient?name=quill&identifier=9434765919");
  REQUIRE(search.status == 200);
  CHECK(json_of(search).at("total").as_int64() == 1);
  auto read = call(port, "GET", "/Patient/" + id);
  REQUIRE(read.status == 200);
  CHECK(read.body.find("Quillfeather") != std::string::npos);

  const auto file = dir / "data/fhir/ehr.sqlite";
  std::string raw = bytes_of(file) + bytes_of(file.string() + "-wal");
  for (const char* secret : {"Quillfeather", "quillfeather", "Ottoline", "9434765919", "zanthoxylum"}) {
    INFO(secret);
    CHECK(raw.find(secret) == std::string::npos);
  }

  {
    artery::fhir::SqliteDb db(file);
    std::string sealed;
    {
      artery::fhir::SqliteStatement s(db, "SELECT json FROM resource_versions WHERE id = ?1");
      s.bind(1, id);
      REQUIRE(s.step());
      sealed = s.text(0);
    }
    sealed[sealed.size() - 1] = static_cast<char>(sealed[sealed.size() - 1] ^ 0x01);  // the tag
    artery::fhir::SqliteStatement put(db, "UPDATE resource_versions SET json = ?1 WHERE id = ?2");
    put.bind_blob(1, sealed).bind(2, id).step();
  }
  auto tampered = call(port, "GET", "/Patient/" + id);
  require_outcome(tampered, 500);
  CHECK(tampered.body.find("failed authentication") != std::string::npos);
  require_outcome(call(port, "GET", "/Patient?name=quill"), 500);
  source->stop();
}
