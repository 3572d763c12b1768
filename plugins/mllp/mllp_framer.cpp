#include "mllp_framer.hpp"

#include <algorithm>
#include <cstring>

namespace artery::mllp {

MllpFramer::MllpFramer(std::size_t max_frame_size) : max_frame_size_(max_frame_size) {}

void MllpFramer::reserve_tail(std::size_t min_space) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ - end_ >= min_space) return;
  // Move the unconsumed bytes to the front once per frame rather than growing.
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (capacity_ - end_ >= min_space) return;
  }
  std::size_t capacity = std::max<std::size_t>(capacity_ * 2, 16 * 1024);
  while (capacity - end_ < min_space) capacity *= 2;
  auto grown = std::make_unique_for_overwrite<char[]>(capacity);
  if (end_ > 0) std::memcpy(grown.get(), buffer_.get(), end_);
  buffer_ = std::move(grown);
  capacity_ = capacity;
}

char* MllpFramer::prepare(std::size_t min_space, std::size_t& space) {
  reserve_tail(std::max<std::size_t>(min_space, 1));
  space = capacity_ - end_;
  return buffer_.get() + end_;
}

void MllpFramer::commit(std::size_t n) { end_ += std::min(n, capacity_ - end_); }

void MllpFramer::feed(std::string_view bytes) {
  std::size_t space = 0;
  char* at = prepare(bytes.size(), space);
  if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
  commit(bytes.size());
}

void MllpFramer::count_junk(const char* from, const char* to) {
  // NUL padding and line ends between frames are common and harmless.
  for (; from < to; ++from) {
    char c = *from;
    if (c != '\0' && c != '\r' && c != '\n' && c != ' ' && c != '\t') ++junk_bytes_;
  }
}

MllpFramer::Result MllpFramer::next() {
  char* base = buffer_.get();
  for (;;) {
    if (begin_ == end_) return {};
    if (discarding_) {
      auto* fs = static_cast<char*>(std::memchr(base + begin_, kEndBlock, end_ - begin_));
      if (fs == nullptr) {
        begin_ = end_;
        return {};
      }
      begin_ = static_cast<std::size_t>(fs - base) + 1;
      discarding_ = false;
      continue;
    }
    if (!in_frame_) {
      auto* vt = static_cast<char*>(std::memchr(base + begin_, kStartBlock, end_ - begin_));
      if (vt == nullptr) {
        count_junk(base + begin_, base + end_);
        begin_ = end_;
        return {};
      }
      count_junk(base + begin_, vt);
      begin_ = static_cast<std::size_t>(vt - base) + 1;
      in_frame_ = true;
      scanned_ = 0;
      continue;
    }
    // Inside a frame. The FS may sit at index max_frame_size_ (content exactly
    // at the limit), so look one byte further than the limit.
    std::size_t available = end_ - begin_;
    std::size_t limit = std::min(available, max_frame_size_ + 1);
    if (scanned_ < limit) {
      auto* fs = static_cast<char*>(std::memchr(base + begin_ + scanned_, kEndBlock, limit - scanned_));
      if (fs != nullptr) {
        const char* start = base + begin_;
        std::size_t length = static_cast<std::size_t>(fs - start);
        // A VT inside the content means the sender abandoned a frame and started
        // again: keep the last start.
        if (const void* vt = memrchr(start, kStartBlock, length)) {
          std::size_t dropped = static_cast<std::size_t>(static_cast<const char*>(vt) - start) + 1;
          junk_bytes_ += dropped;
          start += dropped;
          length -= dropped;
        }
        begin_ = static_cast<std::size_t>(fs - base) + 1;
        in_frame_ = false;
        return {Event::frame, std::string_view(start, length)};
      }
      scanned_ = limit;
    }
    if (available > max_frame_size_) {
      Result result{Event::oversize, std::string_view(base + begin_, max_frame_size_)};
      begin_ += limit;
      in_frame_ = false;
      discarding_ = true;
      return result;
    }
    return {};
  }
}

}  // namespace artery::mllp
