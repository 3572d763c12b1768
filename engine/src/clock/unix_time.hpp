// The wall clock as the store, the API and the alerts record time: Unix
// epoch milliseconds. (Durations and deadlines use steady_clock instead.)
#pragma once
#include <chrono>
#include <cstdint>

namespace artery {

inline std::int64_t unix_time_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace artery
