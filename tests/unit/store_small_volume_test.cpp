// The intake log on a volume with less free space than one 32 MiB segment:
// it takes smaller segments, so messages are acknowledged while the disk
// still has room, and refused only when even the smallest cannot be made.
// Runs on a real tmpfs of a few MiB (needs root; says so when it cannot).
#include "store/intake_log.hpp"
#include "store/message_store.hpp"

#include "support/small_volume.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace artery;
using artery::testing::SmallVolume;
namespace fs = std::filesystem;

namespace {

NewMessage sample(const std::string& control_id) {
  NewMessage m;
  m.channel = "lab";
  m.received_at_ms = 1763700000000;
  m.state = MessageState::queued;
  m.data_type = "HL7V2";
  m.raw = "MSH|^~\\&|A|B|C|D|20261121||ORU^R01|" + control_id + "|P|2.5\rPID|1||42\r" + std::string(400, 'x');
  m.control_id = control_id;
  m.destinations = {"files"};
  return m;
}

}  // namespace

TEST_CASE("intake log: a volume smaller than a segment still takes messages, refused only when full",
          "[store][intake][volume]") {
  SmallVolume volume(6 << 20);
  if (!volume.mounted()) {
    WARN("not run: " << volume.error());
    return;
  }
  REQUIRE(volume.free_bytes() < IntakeLog::segment_size);
  const fs::path dir = volume / "artery.db-intake";
  int appended = 0;
  std::string refusal;
  {
    std::vector<NewMessage> recovered;
    std::size_t damaged = 0;
    std::string error;
    auto log = IntakeLog::open(dir, recovered, damaged, error);
    REQUIRE(log);
    // Nothing is applied, so the log only grows: it must take messages until
    // the volume is truly full, then refuse (never a SIGBUS).
    for (int i = 0; i < 100'000 && refusal.empty(); ++i) {
      NewMessage m = sample("M" + std::to_string(i));
      m.id = i + 1;
      try {
        log->append(m);
        ++appended;
      } catch (const std::system_error& e) {
        refusal = e.what();
      }
    }
  }
  INFO("appended " << appended << ", then: " << refusal);
  // ~0.5 KB records on 6 MiB: thousands fit in the degraded segments.
  CHECK(appended > 5000);
  CHECK(refusal.find("No space left on device") != std::string::npos);

  // Every acknowledged record is read back, in order, after a restart.
  std::vector<NewMessage> recovered;
  std::size_t damaged = 0;
  std::string error;
  auto log = IntakeLog::open(dir, recovered, damaged, error);
  REQUIRE(log);
  REQUIRE(recovered.size() == static_cast<std::size_t>(appended));
  CHECK(damaged == 0);
  for (int i = 0; i < appended; ++i) REQUIRE(recovered[i].id == i + 1);
  CHECK(recovered.back().control_id == "M" + std::to_string(appended - 1));
}

TEST_CASE("store: on a volume smaller than a segment, messages are stored and delivered from SQLite",
          "[store][intake][volume]") {
  SmallVolume volume(8 << 20);
  if (!volume.mounted()) {
    WARN("not run: " << volume.error());
    return;
  }
  std::string error;
  auto store = MessageStore::open(volume / "artery.db", Durability::normal, error);
  INFO(error);
  REQUIRE(store);
  int refused = 0;
  for (int i = 0; i < 2000; ++i)
    store->insert(sample("S" + std::to_string(i)), [&](std::int64_t id, const std::string&) { refused += id == 0; });
  store->flush();
  CHECK(refused == 0);
  CHECK(store->pending_count("lab", "files") == 2000);
}
