// What a reload is asked to do, and what it did: plain data shared by the
// coordinator, the folder pass, the admin API and `artery reload`.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace artery {

// One or more triggers, merged. A folder reload looks at every channel file;
// `channels` are redeployed even when their files did not change (an
// operator's POST /api/channels/{name}/redeploy).
struct ReloadRequest {
  bool folder = false;
  bool plugins = false;
  std::set<std::string> channels;
  std::vector<std::string> triggers;  // "inotify", "SIGHUP", "POST /api/reload by ops", ...

  void merge(const ReloadRequest& other) {
    folder = folder || other.folder;
    plugins = plugins || other.plugins;
    channels.insert(other.channels.begin(), other.channels.end());
    triggers.insert(triggers.end(), other.triggers.begin(), other.triggers.end());
  }
};

// One channel (or channel file) the reload acted on. Unchanged channels are
// only counted.
struct ChannelChange {
  std::string channel;  // the channel's name; the file's name when it names none
  std::string file;
  // deployed | redeployed | scripts reloaded | undeployed | restored (back to
  // the running version) | kept (invalid: the running version stays) |
  // not deployed (new and invalid, or disabled)
  std::string action;
  bool ok = true;
  std::string error;  // one problem a line, file:line:col: message
};

struct ReloadOutcome {
  std::int64_t id = 0;  // increasing from 1 in this run of the engine
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  std::vector<std::string> triggers;  // every trigger this reload covered
  bool ok = true;                     // every change it found was applied
  std::string error;                  // the problems in words, "" when ok
  std::vector<ChannelChange> changes;
  std::size_t unchanged = 0;  // channel files left as they run
  // Plugin reload: "" when not asked; otherwise what it did, in words.
  std::string plugins;
};

}  // namespace artery
