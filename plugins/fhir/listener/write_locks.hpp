// Serializes writes that must not overlap, without a thread waiting: a write
// names what it touches (one resource, a whole type for conditional
// interactions, everything for a transaction) and runs once nothing it
// conflicts with is in flight, in arrival order. The lock is held from
// planning (reading the current version, the conditional search) until the
// write is committed, so 20 identical conditional creates see each other.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace artery::fhir {

struct WriteScope {
  std::string type;  // "*": every type
  std::string id;    // "": the whole type
  static WriteScope everything() { return {"*", ""}; }
  bool conflicts(const WriteScope& other) const;
};

class WriteLocks {
 public:
  using Ticket = std::uint64_t;
  // Runs `run(ticket)` now on this thread, or later on the thread whose
  // release() frees the way. `run` must eventually release(ticket).
  void acquire(WriteScope scope, std::function<void(Ticket)> run);
  void release(Ticket ticket);

 private:
  struct Waiting {
    Ticket ticket;
    WriteScope scope;
    std::function<void(Ticket)> run;
  };
  struct Held {
    Ticket ticket;
    WriteScope scope;
  };
  bool blocked(const WriteScope& scope, std::size_t waiting_before) const;

  std::mutex mutex_;
  Ticket next_ = 1;
  std::vector<Held> held_;
  std::deque<Waiting> waiting_;
};

}  // namespace artery::fhir
