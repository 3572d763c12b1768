// The lock between sealing writes and a key swap: every write that seals a
// value holds it shared from the seal to its submission to the writer; the
// key pass holds it exclusively to swap keys, so no value sealed under the
// old key is submitted after the pass has started. Writer-preferring: a swap
// waiting for it stops new writes at the turnstile, so continuous traffic
// (glibc's rwlock prefers readers) cannot keep a rotation from finishing.
#pragma once
#include <mutex>
#include <shared_mutex>

namespace artery {

class SealGate {
 public:
  void lock_shared() {
    { std::lock_guard pass(turnstile_); }
    shared_.lock_shared();
  }
  void unlock_shared() { shared_.unlock_shared(); }
  void lock() {
    turnstile_.lock();
    shared_.lock();
  }
  void unlock() {
    shared_.unlock();
    turnstile_.unlock();
  }

 private:
  std::mutex turnstile_;
  std::shared_mutex shared_;
};

}  // namespace artery
