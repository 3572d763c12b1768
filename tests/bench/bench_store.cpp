// Durable inserts per second of MessageStore. Each producer is synchronous,
// like an MLLP connection waiting for its ACK: it inserts a ~1 KB message with
// one delivery row and waits for the callback that says it is durable before
// the next. With durability normal that is the intake log, and the time
// includes applying everything to SQLite (the final flush); with fsync it is
// the fsynced group commit. Prints the median of 3 runs per producer count and
// the writer's mean batch size.
#include "store/message_store.hpp"
#include "store/store_writer.hpp"

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace artery;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct RunResult {
  double commits_per_second = 0;
  double mean_batch = 0;
  double mean_latency_us = 0;
  double cpu_us_per_commit = 0;  // user + system time of the whole process
};

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

NewMessage sample_message(int producer, std::int64_t n) {
  NewMessage m;
  m.channel = "bench";
  m.received_at_ms = 1700000000000 + n;
  m.state = MessageState::queued;
  m.data_type = "HL7V2";
  std::string control_id = std::to_string(producer) + "-" + std::to_string(n);
  m.raw = "MSH|^~\\&|LAB|HOSP|EPR|HOSP|20240101120000||ORU^R01|" + control_id +
          "|P|2.5\rPID|1||9434765919^^^NHS^NH||SMITH^JOHN||19700101|M\r";
  while (m.raw.size() < 1000) m.raw += "OBX|1|NM|GLU^Glucose||5.4|mmol/L|3.5-7.8|N|||F\r";
  m.message_type = "ORU^R01";
  m.control_id = control_id;
  m.patient_id = "9434765919";
  m.destinations = {"epr"};
  return m;
}

RunResult run(const fs::path& dir, int producers, double seconds, Durability durability) {
  fs::path file = dir / ("bench-" + std::to_string(producers) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
  std::string error;
  auto store = MessageStore::open(file, durability, error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::int64_t> commits(producers, 0);
  std::int64_t tx_before = StoreWriterTotals::transactions.load();
  std::int64_t ops_before = StoreWriterTotals::operations.load();
  auto start = Clock::now();
  double cpu_start = cpu_seconds();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::atomic<std::int64_t> committed{0};
      std::int64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        committed.store(0, std::memory_order_relaxed);
        store->insert(sample_message(p, n), [&](std::int64_t id, const std::string& e) {
          if (!e.empty()) failures.fetch_add(1);
          committed.store(id > 0 ? id : -1, std::memory_order_release);
          committed.notify_one();
        });
        committed.wait(0, std::memory_order_acquire);
        ++n;
      }
      commits[p] = n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  store->flush();  // what the intake log holds counts only once SQLite has it too
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = cpu_seconds() - cpu_start;
  store.reset();
  if (failures) {
    std::fprintf(stderr, "%d inserts failed\n", failures.load());
    std::exit(1);
  }
  std::int64_t total = 0;
  for (auto c : commits) total += c;
  std::int64_t tx = StoreWriterTotals::transactions.load() - tx_before;
  std::int64_t ops = StoreWriterTotals::operations.load() - ops_before;
  RunResult r;
  r.commits_per_second = total / elapsed;
  r.mean_batch = tx ? static_cast<double>(ops) / tx : 0;
  r.mean_latency_us = total ? elapsed * producers / total * 1e6 : 0;
  r.cpu_us_per_commit = total ? cpu / total * 1e6 : 0;
  return r;
}

void report(const fs::path& dir, int producers, int runs, double seconds, Durability durability) {
  std::vector<RunResult> results;
  for (int i = 0; i < runs; ++i) results.push_back(run(dir, producers, seconds, durability));
  std::sort(results.begin(), results.end(),
            [](const RunResult& a, const RunResult& b) { return a.commits_per_second < b.commits_per_second; });
  const RunResult& median = results[results.size() / 2];
  std::printf("%-7s producers=%d  inserts/s=%8.0f (median of %d; min %.0f, max %.0f)  mean batch=%5.2f  "
              "mean latency=%6.1f us  cpu/insert=%5.1f us\n",
              durability == Durability::fsync ? "fsync" : "normal", producers, median.commits_per_second, runs,
              results.front().commits_per_second, results.back().commits_per_second, median.mean_batch,
              median.mean_latency_us, median.cpu_us_per_commit);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  char pattern[] = "/tmp/artery_bench_store_XXXXXX";
  if (!mkdtemp(pattern)) {
    std::perror("mkdtemp");
    return 1;
  }
  fs::path dir = pattern;
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  std::printf("MessageStore durable inserts: synchronous producers, ~1 KB message + 1 delivery row each\n");
  std::printf("(%ld cores online; load average matters: cpu/insert is the load-independent figure)\n",
              sysconf(_SC_NPROCESSORS_ONLN));
  report(dir, 1, 3, seconds, Durability::normal);
  report(dir, 8, 3, seconds, Durability::normal);
  report(dir, 8, 1, seconds, Durability::fsync);
  fs::remove_all(dir);
  return 0;
}
