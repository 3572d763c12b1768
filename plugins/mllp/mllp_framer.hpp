// MLLP framing: <VT 0x0B> content <FS 0x1C><CR 0x0D>. Turns a byte stream read
// in arbitrary pieces into whole frames. Reads land directly in the framer's
// buffer (prepare/commit), frames come back as views into it, so the hot path
// makes no allocation and scans with memchr.
#pragma once
#include <cstddef>
#include <memory>
#include <string_view>

namespace artery::mllp {

inline constexpr char kStartBlock = 0x0B;
inline constexpr char kEndBlock = 0x1C;
inline constexpr char kCarriageReturn = 0x0D;

class MllpFramer {
 public:
  // Frames whose content is longer than max_frame_size are reported as oversize.
  explicit MllpFramer(std::size_t max_frame_size);

  // Writable space for the next read, at least `min_space` bytes. Invalidates
  // views returned by next().
  char* prepare(std::size_t min_space, std::size_t& space);
  // `n` bytes were written at the pointer prepare() returned.
  void commit(std::size_t n);
  // prepare + copy + commit, for callers holding the bytes elsewhere.
  void feed(std::string_view bytes);

  enum class Event {
    need_more,  // no complete frame buffered
    frame,      // `content` is one frame's content (without VT/FS/CR)
    oversize,   // a frame passed max_frame_size; `content` is its first bytes
  };
  struct Result {
    Event event = Event::need_more;
    std::string_view content;  // valid until the next prepare/commit/feed
  };
  // The next event. Call until need_more after each commit. After oversize the
  // framer drops the rest of that frame (up to its FS) and carries on.
  Result next();

  // True while a frame has started but not ended (a peer closing now loses it).
  bool in_frame() const { return in_frame_ || discarding_; }
  // Bytes outside frames that were neither NUL nor whitespace (sender bugs),
  // plus the dropped heads of frames restarted by a second VT. Cumulative.
  std::size_t junk_bytes() const { return junk_bytes_; }
  std::size_t max_frame_size() const { return max_frame_size_; }
  // Bytes buffered and not yet returned as frames.
  std::size_t buffered() const { return end_ - begin_; }

 private:
  void reserve_tail(std::size_t min_space);
  void count_junk(const char* from, const char* to);

  std::size_t max_frame_size_;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last committed byte
  std::size_t scanned_ = 0;  // inside a frame: bytes from begin_ already known FS-free
  bool in_frame_ = false;    // begin_ is just past a VT
  bool discarding_ = false;  // dropping the tail of an oversize frame
  std::size_t junk_bytes_ = 0;
};

}  // namespace artery::mllp
