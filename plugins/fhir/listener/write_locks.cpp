#include "listener/write_locks.hpp"

#include <algorithm>

namespace artery::fhir {

bool WriteScope::conflicts(const WriteScope& o) const {
  if (type == "*" || o.type == "*") return true;
  if (type != o.type) return false;
  return id.empty() || o.id.empty() || id == o.id;
}

bool WriteLocks::blocked(const WriteScope& scope, std::size_t waiting_before) const {
  for (const auto& h : held_)
    if (h.scope.conflicts(scope)) return true;
  // Nobody overtakes an earlier conflicting writer.
  for (std::size_t i = 0; i < waiting_before && i < waiting_.size(); ++i)
    if (waiting_[i].scope.conflicts(scope)) return true;
  return false;
}

void WriteLocks::acquire(WriteScope scope, std::function<void(Ticket)> run) {
  Ticket ticket;
  {
    std::lock_guard lock(mutex_);
    ticket = next_++;
    if (blocked(scope, waiting_.size())) {
      waiting_.push_back({ticket, std::move(scope), std::move(run)});
      return;
    }
    held_.push_back({ticket, std::move(scope)});
  }
  run(ticket);
}

void WriteLocks::release(Ticket ticket) {
  std::vector<std::pair<Ticket, std::function<void(Ticket)>>> ready;
  {
    std::lock_guard lock(mutex_);
    held_.erase(std::remove_if(held_.begin(), held_.end(), [&](const Held& h) { return h.ticket == ticket; }),
                held_.end());
    for (std::size_t i = 0; i < waiting_.size();) {
      if (!blocked(waiting_[i].scope, i)) {
        held_.push_back({waiting_[i].ticket, waiting_[i].scope});
        ready.emplace_back(waiting_[i].ticket, std::move(waiting_[i].run));
        waiting_.erase(waiting_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
  for (auto& [t, run] : ready) run(t);
}

}  // namespace artery::fhir
