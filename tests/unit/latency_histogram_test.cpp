// The processing-time histogram: each duration lands in the first bucket
// whose upper bound (inclusive) holds it, the sum is kept in nanoseconds, and
// concurrent recording loses nothing.
#include "runtime/latency_histogram.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using artery::LatencyHistogram;
using namespace std::chrono_literals;

TEST_CASE("latency histogram puts each duration in its bucket, bounds inclusive") {
  LatencyHistogram h;
  h.record(10us);     // <= 50 µs
  h.record(50us);     // still <= 50 µs
  h.record(51us);     // <= 100 µs
  h.record(3ms);      // <= 5 ms
  h.record(10s);      // the last finite bucket
  h.record(11s);      // above every bound
  h.record(-5ns);     // a clock oddity counts as zero
  auto s = h.snapshot();
  CHECK(s.counts[0] == 3);
  CHECK(s.counts[1] == 1);
  CHECK(s.counts[6] == 1);  // 5'000'000 ns
  CHECK(s.counts[LatencyHistogram::kBuckets - 2] == 1);
  CHECK(s.counts[LatencyHistogram::kBuckets - 1] == 1);
  CHECK(s.count() == 7);
  CHECK(s.sum_ns == 10'000 + 50'000 + 51'000 + 3'000'000 + 10'000'000'000ull + 11'000'000'000ull);
}

TEST_CASE("latency histogram counts every record from several threads") {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h] {
      for (int i = 0; i < 100'000; ++i) h.record(std::chrono::microseconds(i % 2000));
    });
  for (auto& t : threads) t.join();
  auto s = h.snapshot();
  CHECK(s.count() == 400'000);
  std::uint64_t expected = 0;
  for (int i = 0; i < 100'000; ++i) expected += static_cast<std::uint64_t>(i % 2000) * 1000;
  CHECK(s.sum_ns == 4 * expected);
}
