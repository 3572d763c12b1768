#include "admin/process_stats.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

namespace artery::admin {
namespace {

// /proc/self/stat's fields after the command name, which is in parentheses
// and may itself hold spaces: [0] is field 3 (state), so field N is [N - 3].
std::vector<std::string> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(text.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(std::move(field));
  return fields;
}

std::optional<std::uint64_t> boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("btime ", 0) == 0) return std::stoull(line.substr(6));
  return std::nullopt;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats out;
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);
  try {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    if (page > 0 && statm >> size >> resident) out.resident_bytes = resident * static_cast<std::uint64_t>(page);

    std::error_code ec;
    std::uint64_t fds = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
    if (!ec) out.open_fds = fds;

    if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      out.max_fds = static_cast<std::uint64_t>(limit.rlim_cur);

    auto fields = stat_fields();
    if (ticks > 0 && fields.size() > 19) {
      // utime (14), stime (15) and starttime (22), in clock ticks.
      out.cpu_seconds = static_cast<double>(std::stoull(fields[14 - 3]) + std::stoull(fields[15 - 3])) /
                        static_cast<double>(ticks);
      if (auto boot = boot_time_seconds())
        out.start_time_seconds =
            static_cast<double>(*boot) + static_cast<double>(std::stoull(fields[22 - 3])) / static_cast<double>(ticks);
    }
  } catch (const std::exception&) {
    // A malformed /proc line: what was read so far stands.
  }
  return out;
}

}  // namespace artery::admin
