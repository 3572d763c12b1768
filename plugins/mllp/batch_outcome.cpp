#include "batch_outcome.hpp"

namespace artery::mllp {
namespace {

int rank(Disposition::Status s) {
  switch (s) {
    case Disposition::Status::accepted: return 0;
    case Disposition::Status::filtered: return 0;
    case Disposition::Status::errored: return 1;
    case Disposition::Status::rejected: return 2;
    case Disposition::Status::unavailable: return 3;
  }
  return 3;
}

}  // namespace

BatchOutcome::BatchOutcome(std::size_t parts, std::function<void(Disposition)> done)
    : remaining_(parts), done_(std::move(done)) {
  folded_.status = Disposition::Status::accepted;
}

void BatchOutcome::add(Disposition d) {
  std::unique_lock lock(mutex_);
  if (rank(d.status) > rank(folded_.status)) {
    folded_.status = d.status;
    folded_.error = std::move(d.error);
  }
  if (!folded_.message_id) folded_.message_id = d.message_id;
  if (--remaining_ > 0) return;
  Disposition out = std::move(folded_);
  lock.unlock();
  done_(std::move(out));
}

}  // namespace artery::mllp
