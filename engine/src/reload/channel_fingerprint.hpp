// What a channel is made of on disk, hashed: its YAML file, and every script
// it runs with every module those scripts require() (found the way the
// sandbox's require finds them: dots as folders, NAME.lua or NAME/init.lua
// under the channel's module paths, scripts/lib among them). Two
// fingerprints differ when any of those files changed, appeared or went; the
// reload redeploys only channels whose fingerprint moved, and reloads just the
// scripts when the YAML is the same.
//
// require() is found by reading the scripts for require "name" / require("name")
// with a literal name; a module required under a computed name is not seen
// (a change to it takes effect at the channel's next redeploy).
#pragma once
#include "config/channel_config.hpp"

#include <cstdint>
#include <filesystem>
#include <vector>

namespace artery {

struct ChannelFingerprint {
  std::uint64_t definition = 0;  // the YAML file's bytes (0: unreadable)
  std::uint64_t scripts = 0;     // the scripts' and modules' paths and bytes
  // The YAML's bytes and the scripts' and modules' bytes with their paths
  // relative to the YAML's folder: the same on two machines that run the
  // same files from different folders. The cluster view shows it as the
  // version a node runs; the reload compares the two above.
  std::uint64_t portable = 0;
  // The script and module files that went into `scripts`, for the watcher.
  std::vector<std::filesystem::path> files;

  bool operator==(const ChannelFingerprint& other) const {
    return definition == other.definition && scripts == other.scripts;
  }
  bool operator!=(const ChannelFingerprint& other) const { return !(*this == other); }

  // `channel` null: the file does not load, only its bytes count.
  static ChannelFingerprint of(const std::filesystem::path& file, const ChannelConfig* channel);
};

// The module names a Lua text requires with a literal name, in order, each once.
std::vector<std::string> required_modules(const std::string& lua_text);

}  // namespace artery
