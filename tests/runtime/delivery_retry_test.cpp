// Destination sends that fail: exponential backoff, the retry limit, permanent
// rejections, and a stop that interrupts a send.
#include "channel_harness.hpp"

using namespace artery;
using namespace artery::testing;
using namespace std::chrono_literals;

namespace {

SendResult retry(std::string why) { return {SendResult::Status::retry, {}, std::move(why)}; }
SendResult rejected(std::string why) { return {SendResult::Status::rejected, {}, std::move(why)}; }
SendResult sent(std::string response = "ok") { return {SendResult::Status::sent, std::move(response), {}}; }

}  // namespace

TEST_CASE("retry with exponential backoff: two retries, then sent with attempts == 3", "[runtime][retry]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load(
      "backoff", memory_channel_yaml("backoff", src, dst, "", "    retry: {max: 5, initial: 20ms, max_delay: 1s}\n")));

  // What the store says about the delivery while it waits between attempts,
  // read from inside the next attempt (after flushing what was written before it).
  std::mutex mutex;
  std::vector<PendingDelivery> between;
  std::vector<int> attempt_numbers;
  int attempt = 0;
  memory_destination(dst)->respond_with([&](const OutboundMessage& m) -> SendResult {
    std::lock_guard lock(mutex);
    ++attempt;
    attempt_numbers.push_back(m.attempt);
    if (attempt > 1) {
      h.store().flush();
      auto rows = h.store().pending("backoff", "out", 0, 10);
      if (!rows.empty()) between.push_back(rows.front());
    }
    return attempt <= 2 ? retry("busy " + std::to_string(attempt)) : sent("done");
  });

  auto d = await(memory_source(src)->submit("payload"));
  REQUIRE(d.status == Disposition::Status::accepted);
  REQUIRE(eventually([&] { return h.message(d.message_id).state == MessageState::sent; }));

  auto record = h.message(d.message_id);
  REQUIRE(record.deliveries.size() == 1);
  CHECK(record.deliveries[0].attempts == 3);
  CHECK(record.deliveries[0].state == MessageState::sent);
  CHECK(record.deliveries[0].response == "done");

  std::lock_guard lock(mutex);
  CHECK(attempt_numbers == std::vector<int>{1, 2, 3});
  REQUIRE(between.size() == 2);
  CHECK(between[0].attempts == 1);
  CHECK(between[0].next_attempt_ms > 0);
  CHECK(between[1].attempts == 2);
  CHECK(between[1].next_attempt_ms >= between[0].next_attempt_ms + 40);  // the second delay doubled

  auto attempts = memory_destination(dst)->attempts();
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[1].at - attempts[0].at >= 20ms);
  CHECK(attempts[2].at - attempts[1].at >= 40ms);
  REQUIRE(eventually([&] { return runtime->counters().sent == 1; }));
  CHECK(eventually([&] { return runtime->counters().queued == 0; }));
  CHECK(runtime->counters().errored == 0);
}

TEST_CASE("retry_delay doubles from initial and stops at max_delay", "[runtime][retry]") {
  RetryPolicy policy;
  policy.initial = 20ms;
  policy.max_delay = 100ms;
  CHECK(retry_delay(policy, 1) == 20ms);
  CHECK(retry_delay(policy, 2) == 40ms);
  CHECK(retry_delay(policy, 3) == 80ms);
  CHECK(retry_delay(policy, 4) == 100ms);
  CHECK(retry_delay(policy, 1000) == 100ms);
}

TEST_CASE("a delivery that keeps failing is ERROR after max retries, with the reason", "[runtime][retry]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load(
      "giveup", memory_channel_yaml("giveup", src, dst, "", "    retry: {max: 2, initial: 1ms, max_delay: 5ms}\n")));
  memory_destination(dst)->respond_with([](const OutboundMessage&) { return retry("peer down"); });

  auto d = await(memory_source(src)->submit("x"));
  REQUIRE(eventually([&] { return h.message(d.message_id).state == MessageState::error; }));
  auto record = h.message(d.message_id);
  CHECK(record.deliveries[0].state == MessageState::error);
  CHECK(record.deliveries[0].attempts == 3);
  CHECK(record.deliveries[0].error.find("failed after 3 attempts: peer down") != std::string::npos);
  CHECK(memory_destination(dst)->attempt_count() == 3);
  REQUIRE(eventually([&] { return runtime->counters().errored == 1; }));
  CHECK(eventually([&] { return runtime->counters().queued == 0; }));
  CHECK(runtime->destination_counters().at("out").errored == 1);
  CHECK(h.store().pending_count("giveup", "out") == 0);
}

TEST_CASE("a rejected send is ERROR at once, without retry", "[runtime][retry]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load(
      "reject", memory_channel_yaml("reject", src, dst, "", "    retry: {max: 5, initial: 1ms}\n")));
  memory_destination(dst)->queue_outcomes({rejected("AR: unknown patient")});

  auto d = await(memory_source(src)->submit("x"));
  REQUIRE(eventually([&] { return h.message(d.message_id).state == MessageState::error; }));
  auto record = h.message(d.message_id);
  CHECK(record.deliveries[0].attempts == 1);
  CHECK(record.deliveries[0].error.find("rejected: AR: unknown patient") != std::string::npos);
  CHECK(memory_destination(dst)->attempt_count() == 1);

  // The next message is not held up by the failed one.
  auto next = await(memory_source(src)->submit("y"));
  REQUIRE(eventually([&] { return h.message(next.message_id).state == MessageState::sent; }));
  CHECK(memory_destination(dst)->attempt_count() == 2);
}

TEST_CASE("retry_rejected: true retries a rejected send", "[runtime][retry]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load(
      "rerej", memory_channel_yaml("rerej", src, dst, "",
                                   "    retry: {max: 5, initial: 1ms, retry_rejected: true}\n")));
  memory_destination(dst)->queue_outcomes({rejected("AR once"), sent("fine")});

  auto d = await(memory_source(src)->submit("x"));
  REQUIRE(eventually([&] { return h.message(d.message_id).state == MessageState::sent; }));
  CHECK(h.message(d.message_id).deliveries[0].attempts == 2);
  CHECK(h.message(d.message_id).deliveries[0].response == "fine");
}

// Without the fix in DestinationWorker::deliver, the send abandoned by stop()
// counted as the last allowed attempt and the delivery became ERROR.
TEST_CASE("stop() during a send in flight leaves the delivery QUEUED, a restart delivers it",
          "[runtime][retry][stop]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto config =
      h.load("inflight", memory_channel_yaml("inflight", src, dst, "", "    retry: {max: 0, initial: 1ms}\n"));
  std::int64_t id = 0;
  {
    auto runtime = h.start(config);
    memory_destination(dst)->hold(true);
    auto d = await(memory_source(src)->submit("precious"));
    REQUIRE(d.status == Disposition::Status::accepted);
    id = d.message_id;
    REQUIRE(eventually([&] { return memory_destination(dst)->in_flight(); }));
    runtime->stop();  // the memory destination's stop() ends the held send as `retry`
  }
  CHECK(memory_destination(dst)->stop_calls() >= 1);
  CHECK(memory_destination(dst)->delivered_count() == 0);
  auto record = h.message(id);
  CHECK(record.state == MessageState::queued);
  CHECK(record.deliveries[0].state == MessageState::queued);
  CHECK(h.store().pending_count("inflight", "out") == 1);

  memory_destination(dst)->hold(false);
  auto runtime = h.start(config);
  REQUIRE(eventually([&] { return h.message(id).state == MessageState::sent; }));
  REQUIRE(memory_destination(dst)->delivered_count() == 1);
  CHECK(memory_destination(dst)->delivered()[0].content == "precious");
}
