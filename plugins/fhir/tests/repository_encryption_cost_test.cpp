// What encryption costs the repository itself, without HTTP or the engine:
// queued creates of bench_fhir's Patient committed with the cipher off and
// on, alternated over 3 rounds (medians), and the sealing and hashing of one
// write on its own. Hidden (run by hand: artery_fhir_tests "[.bench]");
// bench_fhir measures the same through `artery run`.
#include "fhir_connectors.hpp"
#include "listener/repository.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include "crypto/value_keys.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

using namespace artery;
using namespace artery::fhir;
using Clock = std::chrono::steady_clock;

namespace {

const char* kPatient =
    R"({"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.36.146.595.217.0.1","value":"MRN-12345"}],)"
    R"("name":[{"family":"Chalmers","given":["Peter","James"]}],"gender":"male","birthDate":"1974-12-25",)"
    R"("address":[{"line":["534 Erewhon St"],"city":"PleasantVille","postalCode":"3999"}]})";

// Creates per second: `n` single-write commits queued from this thread.
// `presealed`: the writes come sealed and hashed already (by `presealed`'s
// cipher, before the clock starts) to a repository without a cipher, which
// stores them as they are: the cost of the larger rows alone.
double creates_per_second(const ValueCipher& cipher, int n, const ValueCipher* presealed = nullptr) {
  artery::testing::TempDir dir("artery-fhir-enc-cost");
  Repository repo(dir / "r.sqlite", cipher, "ehr");
  auto rows = index_rows(boost::json::parse(kPatient).as_object());
  std::string json = kPatient;
  if (presealed) {
    rows = SearchTerms(*presealed, false).blind(rows);
    json = presealed->seal(json, "fhir/ehr/Patient/x/1");
  }
  std::vector<std::promise<std::string>> done(static_cast<std::size_t>(n));
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    PlannedWrite w;
    w.version = {"Patient", "id" + std::to_string(i), 1, 1'700'000'000'000 + i, false, json};
    w.rows = rows;
    std::vector<PlannedWrite> writes;
    writes.push_back(std::move(w));
    auto* p = &done[static_cast<std::size_t>(i)];
    repo.commit(std::move(writes), [p](const std::string& e) { p->set_value(e); });
  }
  for (auto& p : done) REQUIRE(p.get_future().get().empty());
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

class CostContext : public ConnectorContext {
 public:
  CostContext(std::filesystem::path data, const ValueCipher& cipher) : data_(std::move(data)), cipher_(cipher) {}
  const std::string& channel() const override { return channel_; }
  const std::string& connector() const override { return connector_; }
  void log(LogLevel, std::string_view) override {}
  std::optional<std::string> state_get(std::string_view) override { return std::nullopt; }
  void state_put(std::string_view, std::string_view) override {}
  std::filesystem::path base_dir() const override { return data_; }
  std::filesystem::path data_dir() const override { return data_; }
  const ValueCipher& value_cipher() const override { return cipher_; }

 private:
  std::filesystem::path data_;
  const ValueCipher& cipher_;
  std::string channel_ = "ehr", connector_ = "source";
};

class AcceptingHost : public SourceHost {
 public:
  void submit(Message, std::function<void(Disposition)> done) override { done({}); }
};

// The listener over HTTP (a connection per request, 4 client threads):
// {creates/s, reads/s}.
std::pair<double, double> listener_rates(const ValueCipher& cipher, int per_thread) {
  artery::testing::TempDir dir("artery-fhir-enc-cost");
  CostContext context(dir / "data", cipher);
  const int port = artery::testing::free_port();
  ConnectorOptions options;
  options.tree.put("listen", "127.0.0.1:" + std::to_string(port));
  options.tree.put("repository", "true");
  std::string error;
  auto source = fhir::create_source(options, context, error);
  AcceptingHost host;
  REQUIRE(source->start(host, error));
  std::vector<std::vector<std::string>> ids(4);
  auto timed = [&](auto&& body) {
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { body(t); });
    for (auto& th : threads) th.join();
    return 4.0 * per_thread / std::chrono::duration<double>(Clock::now() - start).count();
  };
  const double creates = timed([&](int t) {
    for (int i = 0; i < per_thread; ++i) {
      auto r = artery::testing::http_request(port, {"POST", "/fhir/Patient", {{"Content-Type", "application/fhir+json"}}, kPatient});
      auto at = r.body.find("\"id\":\"");
      if (r.status == 201 && at != std::string::npos)
        ids[static_cast<std::size_t>(t)].push_back(r.body.substr(at + 6, r.body.find('"', at + 6) - at - 6));
    }
  });
  const double reads = timed([&](int t) {
    const auto& mine = ids[static_cast<std::size_t>(t)];
    for (int i = 0; i < per_thread; ++i)
      artery::testing::http_request(port, {"GET", "/fhir/Patient/" + mine[static_cast<std::size_t>(i) % mine.size()], {}, ""});
  });
  source->stop();
  return {creates, reads};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

TEST_CASE("fhir repository encryption cost: creates with the cipher off and on", "[.bench]") {
  auto keys = std::make_shared<ValueCipher::Keys>();
  keys->keys.push_back(crypto::make_value_key(std::string(32, 'k')));
  ValueCipher on(keys);
  std::vector<double> off_rates, on_rates, row_rates;
  for (int round = 0; round < 3; ++round) {
    off_rates.push_back(creates_per_second(ValueCipher::disabled(), 20000));
    on_rates.push_back(creates_per_second(on, 20000));
    row_rates.push_back(creates_per_second(ValueCipher::disabled(), 20000, &on));
  }
  const double off = median(off_rates), enc = median(on_rates), larger = median(row_rates);
  std::printf("repository creates: off %.0f/s, on %.0f/s, cost %.1f %% (sealed rows stored without the crypto: %.0f/s)\n",
              off, enc, 100.0 * (off - enc) / off, larger);

  std::vector<double> create_off, create_on, read_off, read_on;
  for (int round = 0; round < 3; ++round) {
    auto [c_off, r_off] = listener_rates(ValueCipher::disabled(), 1500);
    auto [c_on, r_on] = listener_rates(on, 1500);
    create_off.push_back(c_off);
    read_off.push_back(r_off);
    create_on.push_back(c_on);
    read_on.push_back(r_on);
  }
  std::printf("listener over HTTP: creates off %.0f/s, on %.0f/s (cost %.1f %%); reads off %.0f/s, on %.0f/s (cost %.1f %%)\n",
              median(create_off), median(create_on), 100.0 * (median(create_off) - median(create_on)) / median(create_off),
              median(read_off), median(read_on), 100.0 * (median(read_off) - median(read_on)) / median(read_off));

  const auto rows = index_rows(boost::json::parse(kPatient).as_object());
  SearchTerms terms(on, false);
  const int n = 100000;
  std::size_t sink = 0;
  auto start = Clock::now();
  for (int i = 0; i < n; ++i) sink += on.seal(kPatient, "fhir/ehr/Patient/x/1").size();
  const double seal_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
  start = Clock::now();
  for (int i = 0; i < n; ++i) sink += terms.blind(rows).size();
  const double blind_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
  std::printf("one write: seal %.2f us, hash its %zu index rows %.2f us (%zu)\n", seal_us, rows.size(), blind_us, sink % 10);
}
