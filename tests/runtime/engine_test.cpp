// The Engine: deploys the valid channels of a folder, skips (and logs) the invalid ones.
#include "channel_harness.hpp"

#include <cstdio>
#include <unistd.h>

using namespace artery;
using namespace artery::testing;

namespace {

// Sends the process's stderr (where the logger writes) to a file while alive.
class StderrCapture {
 public:
  explicit StderrCapture(const std::filesystem::path& file) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    std::FILE* f = std::fopen(file.c_str(), "w");
    dup2(fileno(f), STDERR_FILENO);
    std::fclose(f);
  }
  ~StderrCapture() {
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
  }

 private:
  int saved_ = -1;
};

}  // namespace

TEST_CASE("Engine deploys the valid channel and skips the invalid one", "[runtime][engine]") {
  TempDir dir("artery-engine");
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  write_text(dir / "channels/good.yaml", memory_channel_yaml("good", src, dst));
  write_text(dir / "channels/bad.yaml",
             "name: bad\nsource:\n  type: memory\n  id: x\ndestinatons:\n  - name: out\n    type: memory\n");

  EngineConfig config;
  config.channels_dir = dir / "channels";
  config.data_dir = dir / "data";
  config.plugins_dir = dir / "no-plugins";
  Engine engine(config);
  engine.plugins().add_builtin(memory_plugin_descriptor());

  std::string error;
  bool started = false;
  {
    StderrCapture capture(dir / "engine.log");
    started = engine.start(error);
  }
  INFO(error);
  REQUIRE(started);
  auto channels = engine.channels().snapshot();
  REQUIRE(channels.size() == 1);
  CHECK(channels[0].name == "good");
  CHECK(channels[0].state == ChannelState::started);
  auto log = read_text(dir / "engine.log");
  INFO(log);
  CHECK(log.find("bad.yaml:5:1: unknown key 'destinatons'") != std::string::npos);

  auto d = await(memory_source(src)->submit("through the engine"));
  CHECK(d.status == Disposition::Status::accepted);
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() == 1; }));
  auto record = engine.store().get(d.message_id);
  REQUIRE(record);
  CHECK(record->channel == "good");

  engine.stop();
  CHECK(!memory_source(src)->started());
}
