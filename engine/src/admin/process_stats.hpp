// The engine process's own resource use, read from /proc/self for the
// standard `process_*` metrics (the names Prometheus's client libraries use,
// so existing dashboards and alerts work unchanged). Linux only.
#pragma once
#include <cstdint>
#include <optional>

namespace artery::admin {

struct ProcessStats {
  std::optional<std::uint64_t> resident_bytes;    // /proc/self/statm
  std::optional<std::uint64_t> open_fds;          // entries of /proc/self/fd
  std::optional<std::uint64_t> max_fds;           // RLIMIT_NOFILE (soft)
  std::optional<double> cpu_seconds;              // user + system, /proc/self/stat
  std::optional<double> start_time_seconds;       // since the Unix epoch: boot time + start ticks
};

// What could be read; a field that could not (no /proc) stays empty.
ProcessStats read_process_stats();

}  // namespace artery::admin
