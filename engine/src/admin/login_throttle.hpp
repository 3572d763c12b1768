// Failed-login throttling, per user name and per client address: after
// `free_failures` failures within `window`, further attempts are refused
// (HTTP 429 with Retry-After) for a delay that doubles with each failure
// beyond, up to `max_delay`. Refused attempts do not check the password, so
// guessing costs the guesser time and the engine no hashing.
//
// Per user: guessing one account's password from many addresses. Per
// address: one address trying many accounts. A successful login clears the
// user's failures (not the address's: knowing one password must not reset the
// count for guessing the others).
//
// In memory: a restart forgets the failures, which costs a guesser one
// restart's worth of attempts; the audit log keeps every failure.
#pragma once
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace artery::admin {

struct ThrottlePolicy {
  int free_failures_per_user = 5;
  int free_failures_per_address = 20;  // an office behind one NAT address mistypes too
  std::chrono::seconds window = std::chrono::minutes(15);
  std::chrono::seconds first_delay = std::chrono::seconds(30);
  std::chrono::seconds max_delay = std::chrono::minutes(15);
};

class LoginThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit LoginThrottle(ThrottlePolicy policy = {}, Clock clock = {});

  // How long the caller must wait before trying this user from this address
  // again; zero when the attempt may go ahead.
  std::chrono::seconds retry_after(std::string_view user, std::string_view address);
  void record_failure(std::string_view user, std::string_view address);
  void record_success(std::string_view user);

  // Keys tracked now (for tests of the memory bound).
  std::size_t tracked() const;

 private:
  struct Failures {
    std::deque<std::chrono::steady_clock::time_point> times;  // within the window, oldest first
    std::chrono::steady_clock::time_point blocked_until{};
  };
  std::chrono::seconds wait_for(const std::string& key, std::chrono::steady_clock::time_point now);
  void fail(const std::string& key, int free_failures, std::chrono::steady_clock::time_point now);
  void forget_old(std::chrono::steady_clock::time_point now);

  ThrottlePolicy policy_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Failures> failures_;  // "u:<name>" and "a:<address>"
};

}  // namespace artery::admin
