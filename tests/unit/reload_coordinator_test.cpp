// The reload queue on its own, with a pass that the test holds: requests
// during a pass are merged into the next one, never dropped, and each caller
// gets the outcome of the pass that covered it.
#include "reload/channel_fingerprint.hpp"
#include "reload/reload_coordinator.hpp"
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

using namespace artery;

TEST_CASE("reload coordinator: a request during a pass is merged into the next, and each caller gets its pass's "
          "outcome",
          "[reload][unit]") {
  std::mutex mutex;
  std::condition_variable changed;
  bool release = false;
  int entered = 0;
  std::vector<ReloadRequest> seen;
  ReloadCoordinator coordinator([&](const ReloadRequest& request) {
    std::unique_lock lock(mutex);
    seen.push_back(request);
    ++entered;
    changed.notify_all();
    changed.wait(lock, [&] { return release || entered > 1; });
    ReloadOutcome out;
    out.unchanged = request.channels.size();
    return out;
  });
  ReloadRequest first;
  first.folder = true;
  first.triggers = {"one"};
  auto one = coordinator.request(first);
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return entered == 1; });
  }
  CHECK(coordinator.status().running);
  ReloadRequest a, b;
  a.channels = {"x"};
  a.triggers = {"two"};
  b.channels = {"y"};
  b.plugins = true;
  b.triggers = {"three"};
  auto two = coordinator.request(a);
  auto three = coordinator.request(b);
  CHECK(coordinator.status().queued);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  changed.notify_all();
  CHECK(one.get().id == 1);
  CHECK(one.get().triggers == std::vector<std::string>{"one"});
  REQUIRE(two.get().id == 2);
  CHECK(three.get().id == 2);  // merged: the same pass
  CHECK(two.get().triggers == std::vector<std::string>{"two", "three"});
  CHECK(two.get().unchanged == 2);
  std::lock_guard lock(mutex);
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].plugins);
  CHECK_FALSE(seen[1].folder);
  CHECK(seen[1].channels == std::set<std::string>{"x", "y"});
}

TEST_CASE("reload coordinator: after stop, a request is answered, not carried out", "[reload][unit]") {
  int passes = 0;
  ReloadCoordinator coordinator([&](const ReloadRequest&) {
    ++passes;
    return ReloadOutcome{};
  });
  coordinator.stop();
  auto outcome = coordinator.run({});
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error.find("stopping") != std::string::npos);
  CHECK(passes == 0);
}

TEST_CASE("channel fingerprint: the channel file, its scripts and the modules they require", "[reload][unit]") {
  using artery::testing::TempDir;
  using artery::testing::write_text;
  CHECK(required_modules("local a = require \"lab_records\"\nlocal b = require('fhir.bundle')\n"
                         "local c = require(name)\nlocal d = json.require_x('no')\nlocal e = require 'lab_records'") ==
        std::vector<std::string>{"lab_records", "fhir.bundle"});

  TempDir dir{"artery-fingerprint"};
  std::filesystem::create_directories(dir / "channels");
  std::filesystem::create_directories(dir / "scripts/lib/fhir");
  write_text(dir / "channels/lab.yaml", "name: lab\n");
  write_text(dir / "scripts/lab.lua", "local r = require('lab_records')\nlocal b = require 'fhir.bundle'\n");
  write_text(dir / "scripts/lib/lab_records.lua", "return {}\n");
  write_text(dir / "scripts/lib/fhir/bundle.lua", "local j = require('json')\nreturn {}\n");
  ChannelConfig config;
  config.file = dir / "channels/lab.yaml";
  config.name = "lab";
  config.script = dir / "scripts/lab.lua";
  const auto before = ChannelFingerprint::of(config.file, &config);
  CHECK(before.files.size() == 3);  // the script and both modules
  CHECK(ChannelFingerprint::of(config.file, &config) == before);

  write_text(dir / "scripts/lib/fhir/bundle.lua", "local j = require('json')\nreturn { v = 2 }\n");
  const auto module_changed = ChannelFingerprint::of(config.file, &config);
  CHECK(module_changed.definition == before.definition);
  CHECK(module_changed.scripts != before.scripts);

  write_text(dir / "channels/lab.yaml", "name: lab\ndescription: x\n");
  const auto yaml_changed = ChannelFingerprint::of(config.file, &config);
  CHECK(yaml_changed.definition != module_changed.definition);
  CHECK(yaml_changed.scripts == module_changed.scripts);
}
