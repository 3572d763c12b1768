// An operator's queue purge (ChannelRuntime::purge_queued, behind
// `artery queue purge`): every queued delivery ends as ERROR with the
// reason, in memory and in the store, the counters move from queued to
// errored, and the destination keeps delivering what arrives afterwards.
#include "channel_harness.hpp"

using namespace artery;
using namespace artery::testing;
using namespace std::chrono_literals;

namespace {

SendResult retry(std::string why) { return {SendResult::Status::retry, {}, std::move(why)}; }
SendResult sent() { return {SendResult::Status::sent, "ok", {}}; }

// Stored counters once the writer has committed the deltas (they ride the next batch, within 50 ms).
Counters stored_counters(ChannelHarness& h, const std::string& channel, const std::string& destination) {
  h.store().flush();
  std::this_thread::sleep_for(100ms);
  h.store().flush();
  return h.store().counters()[channel][destination];
}

}  // namespace

TEST_CASE("purge ends a retrying destination's whole queue as ERROR, and the destination goes on",
          "[runtime][purge]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  // A window of 2: most of the queue is only in the store, not in memory.
  auto runtime = h.start(
      h.load("purge", memory_channel_yaml("purge", src, dst, "", "    retry: {max: 100, initial: 30s, max_delay: 1m}\n")),
      2);
  std::atomic<bool> peer_up{false};
  memory_destination(dst)->respond_with(
      [&](const OutboundMessage&) { return peer_up ? sent() : retry("peer down"); });

  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    auto d = await(memory_source(src)->submit("message " + std::to_string(i)));
    REQUIRE(d.status == Disposition::Status::accepted);
    ids.push_back(d.message_id);
  }
  // The first delivery failed once and waits 30 s for its retry: the purge must not wait for it.
  REQUIRE(eventually([&] { return memory_destination(dst)->attempts().size() == 1; }));
  REQUIRE(runtime->counters().queued == 6);

  const auto started = std::chrono::steady_clock::now();
  CHECK(runtime->purge_queued("", "purged by alice") == 6);
  CHECK(std::chrono::steady_clock::now() - started < 10s);

  for (auto id : ids) {
    auto record = h.message(id);
    CHECK(record.state == MessageState::error);
    REQUIRE(record.deliveries.size() == 1);
    CHECK(record.deliveries[0].state == MessageState::error);
    CHECK(record.deliveries[0].error == "purged by alice");
  }
  CHECK(runtime->counters().queued == 0);
  CHECK(runtime->counters().errored == 6);
  CHECK(runtime->destination_counters()["out"].queued == 0);
  CHECK(runtime->destination_counters()["out"].errored == 6);
  auto stored = stored_counters(h, "purge", "out");
  CHECK(stored.queued == 0);
  CHECK(stored.errored == 6);
  CHECK(stored_counters(h, "purge", "").queued == 0);

  // Nothing purged is sent later, and what comes next is delivered.
  peer_up = true;
  auto next = await(memory_source(src)->submit("after the purge"));
  REQUIRE(eventually([&] { return h.message(next.message_id).state == MessageState::sent; }));
  std::this_thread::sleep_for(200ms);
  CHECK(memory_destination(dst)->delivered_count() == 1);
  CHECK(runtime->counters().queued == 0);
  CHECK(runtime->counters().sent == 1);
  CHECK(runtime->counters().errored == 6);
  // An empty queue purges nothing.
  CHECK(runtime->purge_queued("out", "purged by alice") == 0);
}

TEST_CASE("purge of a stopped channel's queue works on the store, and an unknown destination is refused",
          "[runtime][purge]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(
      h.load("stopped", memory_channel_yaml("stopped", src, dst, "", "    retry: {max: 100, initial: 30s}\n")));
  memory_destination(dst)->respond_with([](const OutboundMessage&) { return retry("peer down"); });
  for (int i = 0; i < 3; ++i) await(memory_source(src)->submit("m"));
  runtime->stop();
  REQUIRE(runtime->counters().queued == 3);

  CHECK(runtime->purge_queued("nope", "purged by bob") == -1);
  CHECK(runtime->purge_queued("out", "purged by bob") == 3);
  CHECK(runtime->counters().queued == 0);
  CHECK(runtime->counters().errored == 3);
  CHECK(h.store().pending_count("stopped", "out") == 0);
  CHECK(stored_counters(h, "stopped", "out").queued == 0);
}

TEST_CASE("purge waits for the send in flight: a delivery the peer took stays SENT, the rest are purged",
          "[runtime][purge]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load("inflight", memory_channel_yaml("inflight", src, dst)));
  memory_destination(dst)->hold(true);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(await(memory_source(src)->submit("m")).message_id);
  REQUIRE(eventually([&] { return memory_destination(dst)->in_flight(); }));

  auto purge = std::async(std::launch::async, [&] { return runtime->purge_queued("", "purged by carol"); });
  CHECK(purge.wait_for(200ms) == std::future_status::timeout);  // the send in flight is not cut short
  memory_destination(dst)->hold(false);
  memory_destination(dst)->release(sent());
  REQUIRE(purge.wait_for(30s) == std::future_status::ready);
  CHECK(purge.get() == 2);
  CHECK(h.message(ids[0]).state == MessageState::sent);
  CHECK(h.message(ids[1]).state == MessageState::error);
  CHECK(h.message(ids[2]).deliveries[0].error == "purged by carol");
  auto counters = runtime->counters();
  CHECK(counters.queued == 0);
  CHECK(counters.sent == 1);
  CHECK(counters.errored == 2);
}
