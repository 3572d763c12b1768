// The repository's writer on its own (listener/repository.hpp): writes
// queued together commit in one transaction, and one that fails (here a
// version that already exists) fails alone while the others of its batch
// are kept.
#include "listener/repository.hpp"
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <mutex>

using namespace artery::fhir;
using artery::testing::TempDir;

namespace {

PlannedWrite patient(const std::string& id, std::int64_t version) {
  PlannedWrite w;
  w.version.type = "Patient";
  w.version.id = id;
  w.version.version = version;
  w.version.last_updated_ms = 1'700'000'000'000 + version;
  w.version.json = R"({"resourceType":"Patient","id":")" + id + R"(","gender":"female"})";
  w.rows.push_back({"gender", "", "female"});
  return w;
}

}  // namespace

TEST_CASE("fhir repository writer: one failing write of a batch fails alone, the others commit") {
  TempDir dir("artery-fhir-writer");
  Repository repo(dir / "r.sqlite");
  repo.commit_now({patient("a", 1)});

  // Hold the writer inside a callback while three jobs queue behind it, so
  // they are taken as one batch.
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  repo.commit({}, [&](const std::string&) {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return release; });
  });
  std::promise<std::string> first, duplicate, second;
  repo.commit({patient("b", 1)}, [&](const std::string& e) { first.set_value(e); });
  repo.commit({patient("a", 1)}, [&](const std::string& e) { duplicate.set_value(e); });  // exists already
  repo.commit({patient("c", 1), patient("c", 2)}, [&](const std::string& e) { second.set_value(e); });
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();

  CHECK(first.get_future().get() == "");
  CHECK(duplicate.get_future().get().find("UNIQUE") != std::string::npos);
  CHECK(second.get_future().get() == "");
  REQUIRE(repo.current("Patient", "b"));
  REQUIRE(repo.current("Patient", "c"));
  CHECK(repo.current("Patient", "c")->version == 2);
  CHECK(repo.history("Patient", "a").size() == 1);
}
