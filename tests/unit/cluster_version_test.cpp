// The version the cluster view shows per node (ChannelFingerprint::portable):
// the same files give the same version wherever their folder is, so two
// nodes with checkouts in different places agree; any changed byte, in the
// YAML, a script or a module it requires, gives another.
#include "reload/channel_fingerprint.hpp"
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

using namespace artery;
using artery::testing::TempDir;
using artery::testing::write_text;

namespace {

ChannelConfig lay_out(const std::filesystem::path& root, const std::string& module_body) {
  std::filesystem::create_directories(root / "channels");
  std::filesystem::create_directories(root / "scripts/lib");
  write_text(root / "channels/lab.yaml", "name: lab\n");
  write_text(root / "scripts/lab.lua", "local r = require('lab_records')\n");
  write_text(root / "scripts/lib/lab_records.lua", module_body);
  ChannelConfig config;
  config.file = root / "channels/lab.yaml";
  config.name = "lab";
  config.script = root / "scripts/lab.lua";
  return config;
}

}  // namespace

TEST_CASE("cluster version: the same files in two folders give one version, a changed module another",
          "[cluster][unit]") {
  TempDir a{"artery-version-a"}, b{"artery-version-b"};
  const auto on_a = ChannelFingerprint::of(lay_out(a.path() / "srv/artery", "return {}\n").file,
                                           nullptr);  // the YAML alone
  auto config_a = lay_out(a.path() / "srv/artery", "return {}\n");
  auto config_b = lay_out(b.path() / "home/ops/checkout", "return {}\n");
  const auto fa = ChannelFingerprint::of(config_a.file, &config_a);
  const auto fb = ChannelFingerprint::of(config_b.file, &config_b);
  CHECK(fa.files.size() == 2);
  CHECK(fa.portable == fb.portable);  // same files, other places
  CHECK(fa.scripts != fb.scripts);    // the reload's own fingerprint counts the paths
  CHECK(on_a.portable != fa.portable);

  write_text(b.path() / "home/ops/checkout/scripts/lib/lab_records.lua", "return { v = 2 }\n");
  CHECK(ChannelFingerprint::of(config_b.file, &config_b).portable != fa.portable);
  write_text(b.path() / "home/ops/checkout/scripts/lib/lab_records.lua", "return {}\n");
  CHECK(ChannelFingerprint::of(config_b.file, &config_b).portable == fa.portable);
  write_text(b.path() / "home/ops/checkout/channels/lab.yaml", "name: lab\ndescription: other\n");
  CHECK(ChannelFingerprint::of(config_b.file, &config_b).portable != fa.portable);
}
