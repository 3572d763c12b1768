// Message search with 1,000,000 stored messages. Fills a store through
// MessageStore::insert (as the channels do) with generated HL7 v2 ORU^R01 and
// ADT^A01/A08 messages: distinct control ids, 200,000 patients, observation
// names, values and note words drawn from a vocabulary with a few frequent
// and many rare words. Waits for the search indexes, then prints the median
// latency of 20 queries of each kind, each with other values. The issue's
// aims: control id / patient id under 100 ms, free text under 1 s.
//
// `bench_search [messages]` (default 1,000,000). Writes to a temp folder and
// removes it.
#include "store/message_store.hpp"

#include "support/engine_process.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace artery;
using artery::testing::TempDir;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int patients = 200000;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A vocabulary of clinical words and generated rare ones; picked with a skew
// so that a few are in most messages and most are in few.
struct Vocabulary {
  std::vector<std::string> words;
  Vocabulary() {
    for (const char* w :
         {"glucose",   "potassium", "sodium",     "chloride",  "creatinine", "urea",      "haemoglobin",
          "platelets", "ferritin",  "troponin",   "albumin",   "bilirubin",  "calcium",   "magnesium",
          "phosphate", "lactate",   "amylase",    "lipase",    "cortisol",   "thyroxine", "cholesterol",
          "triglyceride", "insulin", "vitamin",   "folate",    "zinc",       "copper",    "iron",
          "neutrophils", "lymphocytes", "monocytes", "eosinophils", "basophils", "reticulocytes", "fibrinogen",
          "haemolysed", "repeat",   "fasting",    "random",    "urgent",     "routine",   "clotted",
          "discussed", "consultant", "ward",     "theatre",   "admitted",   "discharged", "transferred"})
      words.emplace_back(w);
    // Rare words: "kz" + letters, like surnames or drug names nobody else has.
    std::mt19937 rng(7);
    const char letters[] = "abcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < 20000; ++i) {
      std::string w = "kz";
      for (int j = 0; j < 6; ++j) w += letters[rng() % 26];
      words.push_back(std::move(w));
    }
  }
  // Zipf-like: index ~ n^3 of a uniform draw, so the first words are common.
  const std::string& pick(std::mt19937& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return words[static_cast<std::size_t>(u * u * u * static_cast<double>(words.size() - 1))];
  }
};

std::string control_id_of(std::int64_t n) { return "MSG" + std::to_string(10000000 + n); }
std::string patient_id_of(int p) { return std::to_string(9000000000LL + p * 7919LL % 1000000000LL); }

NewMessage make_message(std::int64_t n, std::mt19937& rng, const Vocabulary& vocabulary, std::int64_t t0) {
  static const char* surnames[] = {"SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "JOHNSON", "DAVIES",
                                   "PATEL", "WRIGHT", "KHAN", "EVANS", "THOMAS", "ROBERTS", "WALKER", "HUGHES"};
  static const char* forenames[] = {"JOHN", "MARY", "DAVID", "SARAH", "JAMES", "EMMA", "AHMED", "LUCY", "OLIVER",
                                    "GRACE", "MOHAMMED", "CHLOE", "GEORGE", "AMELIA", "HARRY", "ISLA"};
  const int patient = static_cast<int>(rng() % patients);
  const bool adt = n % 4 == 3;
  NewMessage m;
  m.channel = adt ? "adt-in" : (n % 4 == 0 ? "lab-chem" : "lab-haem");
  m.received_at_ms = t0 + n;  // 1 ms apart: 1,000,000 messages over about 17 minutes
  m.state = n % 97 == 0 ? MessageState::error : MessageState::sent;
  m.data_type = "HL7V2";
  m.message_type = adt ? (n % 8 == 3 ? "ADT^A01" : "ADT^A08") : "ORU^R01";
  m.control_id = control_id_of(n);
  m.patient_id = patient_id_of(patient);
  std::string& r = m.raw;
  r.reserve(700);
  r = "MSH|^~\\&|" + std::string(adt ? "PAS" : "WINPATH") + "|RBH|EPR|RBH|20241201" + std::to_string(100000 + n % 86400) +
      "||" + m.message_type + "|" + m.control_id + "|P|2.4\r";
  r += "PID|1||" + m.patient_id + "^^^NHS^NH~" + std::to_string(patient) + "^^^RBH^MR||" +
       surnames[patient % 16] + "^" + forenames[(patient / 16) % 16] + "||19" + std::to_string(40 + patient % 60) +
       "0101|" + (patient % 2 ? "M" : "F") + "\r";
  if (adt) {
    r += "PV1|1|I|WARD" + std::to_string(n % 40) + "^BED" + std::to_string(n % 20) + "|||||C" +
         std::to_string(n % 300) + "^" + vocabulary.pick(rng) + "\r";
  } else {
    r += "OBR|1|ORD" + std::to_string(n) + "||" + vocabulary.pick(rng) + "^Panel|||20241201\r";
    const int observations = 2 + static_cast<int>(rng() % 4);
    for (int i = 1; i <= observations; ++i) {
      r += "OBX|" + std::to_string(i) + "|NM|" + vocabulary.pick(rng) + "^" + vocabulary.pick(rng) + "||" +
           std::to_string(rng() % 200) + "." + std::to_string(rng() % 10) + "|mmol/L|||N|||F\r";
    }
  }
  r += "NTE|1||";
  for (int i = 0; i < 4; ++i) r += vocabulary.pick(rng) + " ";
  r += "\r";
  return m;
}

struct Timing {
  std::string what;
  std::vector<double> ms;
  std::size_t rows = 0;
  bool more = false;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t total = argc > 1 ? std::max(1000LL, std::atoll(argv[1])) : 1000000;
  TempDir dir("artery-bench-search");
  std::string error;
  auto store = MessageStore::open(dir / "artery.db", Durability::normal, error);
  if (!store) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  const Vocabulary vocabulary;
  const std::int64_t t0 = 1733000000000;

  // Two producers, as two busy channels; each waits for nothing but the
  // insert's return (the intake log), like an MLLP connection's ACK.
  const auto fill_start = Clock::now();
  std::atomic<std::int64_t> failures{0};
  std::vector<std::thread> producers;
  constexpr int producer_count = 2;
  for (int p = 0; p < producer_count; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937 rng(1000 + p);
      for (std::int64_t n = p; n < total; n += producer_count) {
        store->insert(make_message(n, rng, vocabulary, t0), [&](std::int64_t id, const std::string&) {
          if (id == 0) failures.fetch_add(1);
        });
      }
    });
  }
  for (auto& t : producers) t.join();
  const double inserted_s = seconds_since(fill_start);
  store->flush();
  const double committed_s = seconds_since(fill_start);
  const std::int64_t indexed_at_commit = store->indexed_through();
  if (!store->wait_until_indexed(std::chrono::minutes(5))) {
    std::fprintf(stderr, "the indexer did not catch up within 5 minutes\n");
    return 1;
  }
  const double indexed_s = seconds_since(fill_start);
  if (failures > 0) std::fprintf(stderr, "%lld inserts failed\n", static_cast<long long>(failures.load()));

  std::printf("Message search, %lld messages (HL7 v2 ORU/ADT, ~%s each):\n", static_cast<long long>(total), "600 B");
  std::printf("  fill: inserts returned %.1f s (%.0f msg/s), committed %.1f s, indexed %.1f s\n", inserted_s,
              static_cast<double>(total) / inserted_s, committed_s, indexed_s);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("  process CPU (user + system) for the fill and indexing: %.1f s\n",
              static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
  std::printf("  indexing: %lld of %lld indexed when the last commit landed; overall %.0f msg/s stored and indexed\n",
              static_cast<long long>(indexed_at_commit), static_cast<long long>(total),
              static_cast<double>(total) / indexed_s);

  std::mt19937 rng(42);
  std::vector<Timing> timings;
  auto measure = [&](const std::string& what, const std::function<MessageQuery(int)>& make_query) {
    Timing t{what, {}, 0, false};
    for (int i = 0; i < 20; ++i) {
      MessageQuery q = make_query(i);
      const auto start = Clock::now();
      MessagePage page = store->search_page(q);
      t.ms.push_back(1000 * seconds_since(start));
      t.rows = page.messages.size();
      t.more = page.has_more;
    }
    timings.push_back(std::move(t));
  };
  auto summary = [](int limit) {
    MessageQuery q;
    q.limit = limit;
    q.with_content = false;
    return q;
  };
  measure("control id (exact)", [&](int) {
    MessageQuery q = summary(50);
    q.control_id = control_id_of(static_cast<std::int64_t>(rng() % total));
    return q;
  });
  measure("patient id (exact)", [&](int) {
    MessageQuery q = summary(50);
    q.patient_id = patient_id_of(static_cast<int>(rng() % patients));
    return q;
  });
  measure("free text, 1 common word", [&](int i) {
    MessageQuery q = summary(50);
    q.text = vocabulary.words[static_cast<std::size_t>(i % 40)];
    return q;
  });
  measure("free text, 1 rare word", [&](int) {
    MessageQuery q = summary(50);
    q.text = vocabulary.words[10000 + rng() % 10000];  // each in a few hundred messages
    return q;
  });
  measure("free text, 2 words", [&](int i) {
    MessageQuery q = summary(50);
    q.text = vocabulary.words[static_cast<std::size_t>(i % 40)] + " " + vocabulary.words[50 + rng() % 2000];
    return q;
  });
  measure("free text + channel + state ERROR", [&](int i) {
    MessageQuery q = summary(50);
    q.text = vocabulary.words[static_cast<std::size_t>(i % 40)];
    q.channel = "lab-chem";
    q.states = {MessageState::error};
    return q;
  });
  measure("newest 50, no content", [&](int) { return summary(50); });
  std::int64_t second_page_before = 0;
  {
    auto first = store->search_page(summary(50));
    second_page_before = first.messages.empty() ? 0 : first.messages.back().id;
  }
  measure("second page (before_id)", [&](int) {
    MessageQuery q = summary(50);
    q.before_id = second_page_before;
    return q;
  });
  measure("state ERROR, newest 50", [&](int) {
    MessageQuery q = summary(50);
    q.states = {MessageState::error};
    return q;
  });
  measure("channel + a minute mid-store", [&](int i) {
    MessageQuery q = summary(50);
    q.channel = "adt-in";
    q.since_ms = t0 + total / 2 + i * 1000;  // received_at is 1 ms apart
    q.until_ms = q.since_ms + 60000;
    return q;
  });
  measure("newest 50 with content", [&](int) {
    MessageQuery q;
    q.limit = 50;
    return q;
  });

  std::printf("  median of 20 queries (limit 50):\n");
  for (const Timing& t : timings)
    std::printf("    %-36s %8.2f ms   (max %8.2f ms, last: %zu rows%s)\n", t.what.c_str(), median(t.ms),
                *std::max_element(t.ms.begin(), t.ms.end()), t.rows, t.more ? ", more" : "");
  std::uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    if (entry.is_regular_file()) bytes += entry.file_size();
  std::printf("  store on disk: %.0f MiB\n", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return 0;
}
