// Failed-login throttling on a clock the test moves: per user, per address,
// growing delays, reset on success, and bounded memory.
#include "admin/login_throttle.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace artery::admin;
using namespace std::chrono_literals;

namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point() + 1000h;
  LoginThrottle::Clock function() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("login throttle: five failures for a user block him with a growing delay", "[admin][throttle]") {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 4; ++i) {
    CHECK(throttle.retry_after("alice", "10.0.0.1") == 0s);
    throttle.record_failure("alice", "10.0.0.1");
  }
  CHECK(throttle.retry_after("alice", "10.0.0.1") == 0s);
  throttle.record_failure("alice", "10.0.0.1");  // the fifth
  CHECK(throttle.retry_after("alice", "10.0.0.1") == 30s);
  // From any address: the block is on the user.
  CHECK(throttle.retry_after("alice", "10.9.9.9") == 30s);
  // Another user from the same address is not blocked (5 < 20 for the address).
  CHECK(throttle.retry_after("bob", "10.0.0.1") == 0s);

  clock.now += 10s;
  CHECK(throttle.retry_after("alice", "10.0.0.1") == 20s);
  clock.now += 20s;
  CHECK(throttle.retry_after("alice", "10.0.0.1") == 0s);
  throttle.record_failure("alice", "10.0.0.1");  // sixth: doubled
  CHECK(throttle.retry_after("alice", "10.0.0.1") == 60s);
  clock.now += 60s;
  throttle.record_failure("alice", "10.0.0.1");  // seventh: doubled again
  CHECK(throttle.retry_after("alice", "10.0.0.1") == 120s);

  SECTION("the delay stops growing at max_delay") {
    for (int i = 0; i < 30; ++i) throttle.record_failure("alice", "10.0.0.1");
    CHECK(throttle.retry_after("alice", "10.0.0.1") == 15min);
  }
  SECTION("a success clears the user's failures") {
    throttle.record_success("alice");
    CHECK(throttle.retry_after("alice", "10.0.0.1") == 0s);
    for (int i = 0; i < 4; ++i) throttle.record_failure("alice", "10.0.0.1");
    CHECK(throttle.retry_after("alice", "10.0.0.1") == 0s);
  }
  SECTION("failures older than the window are forgotten") {
    clock.now += 16min;
    CHECK(throttle.retry_after("alice", "10.0.0.1") == 0s);
    throttle.record_failure("alice", "10.0.0.1");
    CHECK(throttle.retry_after("alice", "10.0.0.1") == 0s);
  }
}

TEST_CASE("login throttle: one address trying many users is blocked for all of them", "[admin][throttle]") {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 20; ++i) throttle.record_failure("user" + std::to_string(i), "192.0.2.7");
  CHECK(throttle.retry_after("someone-else", "192.0.2.7") == 30s);
  CHECK(throttle.retry_after("someone-else", "192.0.2.8") == 0s);
  // A password that is right for one of them does not lift the address's block.
  throttle.record_success("user3");
  CHECK(throttle.retry_after("user3", "192.0.2.7") == 30s);
}

TEST_CASE("login throttle: names from the network do not grow memory without bound", "[admin][throttle]") {
  FakeClock clock;
  LoginThrottle throttle({}, clock.function());
  for (int i = 0; i < 6000; ++i) throttle.record_failure("guess" + std::to_string(i), "198.51.100." + std::to_string(i % 200));
  CHECK(throttle.tracked() == 6200);
  clock.now += 16min;
  for (int i = 0; i < 6000; ++i) throttle.record_failure("later" + std::to_string(i), "203.0.113.1");
  CHECK(throttle.tracked() < 8000);
}

TEST_CASE("login throttle: safe from several threads", "[admin][throttle]") {
  LoginThrottle throttle;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&throttle, t] {
      for (int i = 0; i < 1000; ++i) {
        throttle.record_failure("u" + std::to_string(i % 50), "a" + std::to_string(t));
        (void)throttle.retry_after("u1", "a1");
        if (i % 7 == 0) throttle.record_success("u" + std::to_string(i % 50));
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(throttle.retry_after("nobody", "a0") > 0s);
}
