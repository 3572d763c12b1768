#include "runtime/module_paths.hpp"

#include <algorithm>

namespace artery {

std::vector<std::filesystem::path> module_paths_for(const ChannelConfig& channel) {
  std::vector<std::filesystem::path> paths;
  auto add = [&](const std::filesystem::path& p) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) return;
    auto canonical = std::filesystem::weakly_canonical(p, ec);
    if (std::find(paths.begin(), paths.end(), canonical) == paths.end()) paths.push_back(canonical);
  };
  if (!channel.script.empty()) {
    add(channel.script.parent_path() / "lib");
    add(channel.script.parent_path());
  }
  add(channel.file.parent_path() / ".." / "scripts" / "lib");
  add(channel.file.parent_path() / "scripts" / "lib");
  return paths;
}

}  // namespace artery
