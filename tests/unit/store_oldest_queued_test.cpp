// MessageStore::oldest_queued_ms(): per channel, when its oldest QUEUED
// delivery was received, for the oldest_queued alert.
#include "store/message_store.hpp"

#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <future>

using namespace artery;

namespace {

std::int64_t insert(MessageStore& store, const std::string& channel, std::int64_t received,
                    std::vector<std::string> destinations) {
  NewMessage m;
  m.channel = channel;
  m.received_at_ms = received;
  m.state = destinations.empty() ? MessageState::filtered : MessageState::queued;
  m.data_type = "text";
  m.raw = "x";
  m.destinations = std::move(destinations);
  std::promise<std::int64_t> id;
  store.insert(std::move(m), [&](std::int64_t assigned, const std::string&) { id.set_value(assigned); });
  return id.get_future().get();
}

void mark(MessageStore& store, std::int64_t id, const std::string& destination, MessageState state) {
  DeliveryUpdate u;
  u.message_id = id;
  u.destination = destination;
  u.state = state;
  std::promise<void> done;
  store.update_delivery(std::move(u), [&](bool, const std::string&) { done.set_value(); });
  done.get_future().get();
}

}  // namespace

TEST_CASE("store: oldest queued delivery per channel") {
  artery::testing::TempDir dir;
  std::string error;
  auto store = MessageStore::open(dir / "artery.db", Durability::normal, error);
  REQUIRE(store);
  CHECK(store->oldest_queued_ms().empty());

  const auto a1 = insert(*store, "a", 1000, {"x", "y"});
  insert(*store, "a", 2000, {"x"});
  const auto b1 = insert(*store, "b", 1500, {"z"});
  insert(*store, "c", 500, {});  // nothing queued: not listed
  store->flush();
  auto oldest = store->oldest_queued_ms();
  CHECK(oldest == std::map<std::string, std::int64_t>{{"a", 1000}, {"b", 1500}});

  // a1 sent to x but still queued for y: still the oldest of channel a.
  mark(*store, a1, "x", MessageState::sent);
  store->flush();
  CHECK(store->oldest_queued_ms().at("a") == 1000);
  mark(*store, a1, "y", MessageState::sent);
  mark(*store, b1, "z", MessageState::error);
  store->flush();
  CHECK(store->oldest_queued_ms() == std::map<std::string, std::int64_t>{{"a", 2000}});
}
