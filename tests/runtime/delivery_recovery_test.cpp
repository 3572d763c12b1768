// Deliveries that outlive their runtime or their memory window: queued rows
// resumed after a restart, the window read back from the store, and
// `ack: after-delivery` answers.
#include "channel_harness.hpp"

#include "runtime/destination_worker.hpp"

#include <set>
#include <thread>

using namespace artery;
using namespace artery::testing;
using namespace std::chrono_literals;

TEST_CASE("deliveries queued when a channel stops are delivered in order by the next runtime",
          "[runtime][recovery]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), failing = unique_memory_id("down"), working = unique_memory_id("up");
  const std::string retry = "    retry: {max: 1000, initial: 20ms, max_delay: 40ms}\n";
  constexpr int n = 30;
  {
    auto runtime = h.start(h.load("recover", memory_channel_yaml("recover", src, failing, "", retry)));
    memory_destination(failing)->respond_with(
        [](const OutboundMessage&) { return SendResult{SendResult::Status::retry, {}, "connection refused"}; });
    for (int i = 0; i < n; ++i) {
      auto d = await(memory_source(src)->submit("r" + std::to_string(i)));
      REQUIRE(d.status == Disposition::Status::accepted);
    }
    REQUIRE(eventually([&] { return memory_destination(failing)->attempt_count() >= 3; }));
    runtime->stop();
  }
  CHECK(memory_destination(failing)->delivered_count() == 0);
  CHECK(h.store().pending_count("recover", "out") == n);

  // A restarted engine: the store reopened, the same channel with a destination that works.
  h.reopen_store();
  memory_destination(working)->hold(true);
  auto runtime = h.start(h.load("recover", memory_channel_yaml("recover", src, working, "", retry)));
  REQUIRE(eventually([&] { return memory_destination(working)->in_flight(); }));
  CHECK(runtime->counters().queued == n);  // the gauge recounted from the queue
  memory_destination(working)->hold(false);
  memory_destination(working)->release({SendResult::Status::sent, "ok", {}});
  REQUIRE(eventually([&] { return memory_destination(working)->delivered_count() == n; }));
  REQUIRE(eventually([&] { return h.store().pending_count("recover", "out") == 0; }));
  auto delivered = memory_destination(working)->delivered();
  REQUIRE(delivered.size() == n);  // none twice
  for (int i = 0; i < n; ++i) CHECK(delivered[i].content == "r" + std::to_string(i));
  REQUIRE(eventually([&] { return runtime->counters().queued == 0; }));
  CHECK(runtime->counters().sent == n);
  CHECK(runtime->counters().received == n);
}

TEST_CASE("DestinationWorker with a small memory window delivers a longer queue in order, none twice",
          "[runtime][recovery][window]") {
  ChannelHarness h;
  auto dst = unique_memory_id("dst");
  constexpr int before = 7, during = 60;

  // Committed as the runtime would, with the worker told after each commit.
  DestinationWorker* target = nullptr;
  std::mutex target_mutex;
  auto commit = [&](int i) {
    NewMessage m;
    m.channel = "win";
    m.state = MessageState::queued;
    m.data_type = "text";
    m.raw = "w" + std::to_string(i);
    m.destinations = {"out"};
    std::string payload = m.raw;
    h.store().insert(std::move(m), [&, payload](std::int64_t id, const std::string&) {
      std::lock_guard lock(target_mutex);
      if (!target) return;
      PendingDelivery d;
      d.message_id = id;
      d.destination = "out";
      d.data_type = "text";
      d.payload = payload;
      target->enqueue(std::move(d));
    });
  };
  for (int i = 0; i < before; ++i) commit(i);  // waiting in the store, as after a restart
  h.store().flush();

  std::string error;
  auto options = h.load("win", memory_channel_yaml("win", unique_memory_id("src"), dst)).destinations[0];
  StoreConnectorContext context("win", "out", h.dir().path(), h.dir() / "data", &h.store());
  LiveCounters counters;
  DestinationWorker::Setup setup;
  setup.channel = "win";
  setup.config = options;
  setup.config.retry.initial = 1ms;
  setup.store = &h.store();
  setup.connector = h.plugins().create_destination("memory", options.connector.options, context, error);
  REQUIRE(setup.connector);
  setup.counters = &counters;
  setup.memory_window = 3;
  DestinationWorker worker(std::move(setup));
  {
    std::lock_guard lock(target_mutex);
    target = &worker;
  }
  REQUIRE(worker.start(error));
  for (int i = before; i < before + during; ++i) commit(i);

  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() >= before + during; }));
  REQUIRE(eventually([&] { return h.store().pending_count("win", "out") == 0; }));
  worker.stop();
  {
    std::lock_guard lock(target_mutex);
    target = nullptr;
  }
  auto delivered = memory_destination(dst)->delivered();
  REQUIRE(delivered.size() == before + during);
  for (int i = 0; i < before + during; ++i) CHECK(delivered[i].content == "w" + std::to_string(i));
  CHECK(counters.sent == before + during);
}

TEST_CASE("a channel whose delivery window overflows still delivers everything in order once",
          "[runtime][recovery][window]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load("spill", memory_channel_yaml("spill", src, dst)), /*delivery_window=*/2);
  constexpr int n = 300;
  // The queued gauge never dips below zero, though deliveries read back from
  // the store can finish before their commit callbacks run.
  std::int64_t lowest = 0;
  auto watch = [&] {
    lowest = std::min({lowest, runtime->counters().queued, runtime->destination_counters().at("out").queued});
  };
  for (int i = 0; i < n; ++i) {
    memory_source(src)->submit("s" + std::to_string(i));
    watch();
  }
  REQUIRE(eventually([&] { watch(); return memory_destination(dst)->delivered_count() >= n; }, 120s));
  CHECK(lowest >= 0);
  REQUIRE(eventually([&] { return runtime->counters().sent == n; }));
  auto delivered = memory_destination(dst)->delivered();
  REQUIRE(delivered.size() == n);
  for (int i = 0; i < n; ++i) REQUIRE(delivered[i].content == "s" + std::to_string(i));
  CHECK(eventually([&] { return runtime->counters().queued == 0; }));
}

TEST_CASE("ack: after-delivery waits for the first destination and answers with its response",
          "[runtime][ack]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load("afterdel", memory_channel_yaml("afterdel", src, dst, "ack: after-delivery\n")));
  memory_destination(dst)->hold(true);

  auto future = memory_source(src)->submit("order-1");
  REQUIRE(eventually([&] { return memory_destination(dst)->in_flight(); }));
  // Stored and being sent, but the peer has not answered: neither has the channel.
  MessageQuery all;
  all.channel = "afterdel";
  REQUIRE(h.store().search(all).size() == 1);
  CHECK(future.wait_for(0s) == std::future_status::timeout);

  memory_destination(dst)->release({SendResult::Status::sent, "MSA|AA|order-1", {}});
  auto d = await(future);
  CHECK(d.status == Disposition::Status::accepted);
  CHECK(d.response == "MSA|AA|order-1");
  CHECK(d.message_id > 0);

  memory_destination(dst)->hold(false);
  memory_destination(dst)->queue_outcomes({{SendResult::Status::rejected, "MSA|AR", "unknown patient"}});
  auto refused = await(memory_source(src)->submit("order-2"));
  CHECK(refused.status == Disposition::Status::errored);
  CHECK(refused.response == "MSA|AR");
  CHECK(refused.error == "unknown patient");
}

TEST_CASE("ack: after-delivery answers every message even when the window reads the store back",
          "[runtime][ack][window]") {
  // With a window of 1 the destination mostly reads its queue from the store,
  // and can deliver a message between its COMMIT and its commit callback.
  // Before the fix that outcome was dropped and the sender waited until stop().
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime =
      h.start(h.load("racy", memory_channel_yaml("racy", src, dst, "ack: after-delivery\n")), /*delivery_window=*/1);
  memory_destination(dst)->respond_with([](const OutboundMessage& m) {
    return SendResult{SendResult::Status::sent, "ack " + m.content, {}};
  });
  constexpr int rounds = 200, burst = 50;
  for (int r = 0; r < rounds; ++r) {
    std::vector<std::shared_future<Disposition>> answers;
    for (int i = 0; i < burst; ++i) answers.push_back(memory_source(src)->submit(std::to_string(r * burst + i)));
    for (int i = 0; i < burst; ++i) {
      auto& a = answers[i];
      REQUIRE(a.wait_for(10s) == std::future_status::ready);
      CHECK(a.get().response == "ack " + std::to_string(r * burst + i));
    }
  }
  CHECK(memory_destination(dst)->delivered_count() == rounds * burst);
}

// stop() used to set its flag without the worker's lock: set between the
// worker's check and its wait, the wake-up was lost and stop() never returned.
// The worker checks right after its start-up read of the store, so stopping
// at once after starting hits that window now and then.
TEST_CASE("DestinationWorker::stop right after start always returns", "[runtime][stop]") {
  ChannelHarness h;
  auto dst = unique_memory_id("dst");
  auto options = h.load("quick", memory_channel_yaml("quick", unique_memory_id("src"), dst)).destinations[0];
  StoreConnectorContext context("quick", "out", h.dir().path(), h.dir() / "data", &h.store());
  LiveCounters counters;
  for (int i = 0; i < 500; ++i) {
    DestinationWorker::Setup setup;
    setup.channel = "quick";
    setup.config = options;
    setup.store = &h.store();
    setup.counters = &counters;
    std::string error;
    setup.connector = h.plugins().create_destination("memory", options.connector.options, context, error);
    REQUIRE(setup.connector);
    // Leaked on purpose if it hangs: destroying it would hang the test binary too.
    auto* worker = new DestinationWorker(std::move(setup));
    REQUIRE(worker->start(error));
    auto stopped = std::make_shared<std::promise<void>>();
    auto future = stopped->get_future();
    std::thread([worker, stopped] {
      worker->stop();
      stopped->set_value();
    }).detach();
    const bool returned = future.wait_for(10s) == std::future_status::ready;
    INFO("iteration " << i);
    REQUIRE(returned);
    delete worker;
  }
}
