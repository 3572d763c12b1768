// The dispositions of a batch's messages folded into one answer: a batch
// frame (FHS/BHS, or several messages back to back) is stored as its
// messages and acknowledged once, when all are stored. The worst outcome wins
// (unavailable: resend all, then rejected, then errored); custom responses
// are dropped, since one ACK answers the whole frame.
#pragma once
#include <artery/message.hpp>

#include <cstddef>
#include <functional>
#include <mutex>

namespace artery::mllp {

class BatchOutcome {
 public:
  BatchOutcome(std::size_t parts, std::function<void(Disposition)> done);
  // Thread-safe; the last part's call answers, on its thread.
  void add(Disposition d);

 private:
  std::mutex mutex_;
  std::size_t remaining_;
  std::function<void(Disposition)> done_;
  Disposition folded_;
};

}  // namespace artery::mllp
