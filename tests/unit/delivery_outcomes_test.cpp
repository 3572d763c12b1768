// The board chained destinations wait on: outcomes handed over in memory,
// bounded, with the store asked for what it no longer holds or never saw.
#include "runtime/delivery_outcomes.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace artery;

TEST_CASE("delivery outcomes: a waiter gets what it awaits, from memory or the store", "[runtime][chained]") {
  DeliveryOutcomes board({{"notify", {"lookup", "audit"}}}, 2);
  CHECK(board.awaited("lookup"));
  CHECK_FALSE(board.awaited("notify"));
  std::atomic<bool> stopping{false};
  int store_reads = 0;
  auto from_store = [&](const std::string& name) -> std::optional<DeliveryOutcomes::Outcome> {
    ++store_reads;
    return DeliveryOutcomes::Outcome{MessageState::sent, "stored-" + name, {}};
  };

  // Recorded later, on another thread: the waiter blocks until both are there.
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    board.record(1, "lookup", {MessageState::sent, "found", {}});
    board.record(1, "audit", {MessageState::error, "", "down"});
  });
  auto first = board.wait(1, "notify", false, from_store, stopping);
  later.join();
  REQUIRE(first);
  CHECK(first->at("lookup").response == "found");
  CHECK(first->at("audit").state == MessageState::error);
  CHECK(store_reads == 0);  // live deliveries are handed over in memory

  // Capacity 2: outcomes of messages 2..4 push message 2's out; the store answers for it.
  for (std::int64_t id = 2; id <= 4; ++id) {
    board.record(id, "lookup", {MessageState::sent, "l" + std::to_string(id), {}});
    board.record(id, "audit", {MessageState::sent, "a" + std::to_string(id), {}});
  }
  auto second = board.wait(2, "notify", false, from_store, stopping);
  REQUIRE(second);
  CHECK(second->at("lookup").response == "stored-lookup");
  CHECK(store_reads == 2);
  auto third = board.wait(3, "notify", false, from_store, stopping);
  REQUIRE(third);
  CHECK(third->at("lookup").response == "l3");

  // A delivery read back from the store asks it at once.
  auto recovered = board.wait(9, "notify", true, from_store, stopping);
  REQUIRE(recovered);
  CHECK(recovered->at("audit").response == "stored-audit");

  // Stopping ends a wait that nothing will answer.
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stopping = true;
    board.wake_all();
  });
  CHECK_FALSE(board.wait(10, "notify", false, from_store, stopping));
  stopper.join();
}
