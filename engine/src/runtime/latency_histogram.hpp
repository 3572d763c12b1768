// How long messages take, in fixed buckets from 50 µs to 10 s, for the
// `artery_processing_seconds` histogram of /metrics. Recording one is on the
// message path, so it is a few compares and two relaxed atomic adds (the
// bucket and the sum): no lock, no allocation, any thread. The total count is
// the buckets' sum, taken when read, so a snapshot's buckets and count always
// agree; the sum may be a message ahead or behind of them during traffic.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace artery {

class LatencyHistogram {
 public:
  // Upper bounds (inclusive, as Prometheus's `le`), in nanoseconds: an MLLP
  // message through a small script takes tens of microseconds, a store
  // commit under load milliseconds, a stalled disk seconds.
  static constexpr std::array<std::int64_t, 17> kUpperBoundsNs = {
      50'000,      100'000,     250'000,       500'000,       1'000'000,     2'500'000,
      5'000'000,   10'000'000,  25'000'000,    50'000'000,    100'000'000,   250'000'000,
      500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
  static constexpr std::size_t kBuckets = kUpperBoundsNs.size() + 1;  // the last one: above 10 s

  struct Snapshot {
    std::array<std::uint64_t, kBuckets> counts{};  // per bucket, not cumulative
    std::uint64_t sum_ns = 0;
    std::uint64_t count() const noexcept {
      std::uint64_t total = 0;
      for (auto c : counts) total += c;
      return total;
    }
  };

  void record(std::chrono::nanoseconds elapsed) noexcept {
    const std::int64_t ns = elapsed.count() < 0 ? 0 : elapsed.count();
    std::size_t bucket = 0;
    while (bucket < kUpperBoundsNs.size() && ns > kUpperBoundsNs[bucket]) ++bucket;
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
  }

  Snapshot snapshot() const noexcept {
    Snapshot s;
    for (std::size_t i = 0; i < kBuckets; ++i) s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace artery
