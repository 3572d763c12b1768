// MLLP framer (plugins/mllp): a byte stream read in arbitrary pieces turned
// into frames, and each frame's MSH header read as the MLLP source does.
// Input: a limit byte, a read-size seed byte, then the stream (a raw stream,
// starting with VT, is read with a large limit). Invariants: no
// frame is longer than the limit or holds an FS, the frames do not depend on
// how the stream was cut into reads, and ISO-8859-1 survives UTF-8 and back.
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"

#include "charset.hpp"
#include "frame_header.hpp"
#include "mllp_framer.hpp"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

using artery::mllp::MllpFramer;

namespace {

struct Seen {
  std::vector<std::string> frames;
  int oversize = 0;
};

void drain(MllpFramer& framer, Seen& seen) {
  for (;;) {
    auto result = framer.next();
    if (result.event == MllpFramer::Event::need_more) return;
    if (result.event == MllpFramer::Event::oversize) {
      ++seen.oversize;
      continue;
    }
    FUZZ_CHECK(result.content.size() <= framer.max_frame_size());
    FUZZ_CHECK(result.content.find(artery::mllp::kEndBlock) == std::string_view::npos);
    seen.frames.emplace_back(result.content);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  artery::fuzz::FuzzInput input(data, size);
  const bool raw = input.raw_sample(artery::mllp::kStartBlock);
  const std::size_t limit = 1 + (raw ? 255 : input.byte()) * 64u;
  artery::fuzz::ChunkSizes sizes(raw ? 7 : input.byte(), 64);
  const std::string_view stream = input.rest();

  // All at once, through feed().
  MllpFramer whole(limit);
  Seen at_once;
  whole.feed(stream);
  drain(whole, at_once);

  // In pieces, written straight into the framer's buffer as a socket read does.
  MllpFramer pieces(limit);
  Seen in_pieces;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t n = std::min(sizes.next(), stream.size() - at);
    std::size_t space = 0;
    char* to = pieces.prepare(n, space);
    FUZZ_CHECK(space >= n);
    std::memcpy(to, stream.data() + at, n);
    pieces.commit(n);
    at += n;
    drain(pieces, in_pieces);
  }
  FUZZ_CHECK(at_once.frames == in_pieces.frames);
  FUZZ_CHECK(at_once.oversize == in_pieces.oversize);

  for (const auto& frame : at_once.frames) {
    auto header = artery::mllp::read_frame_header(frame);
    if (artery::mllp::names_latin1(header.charset)) {
      const std::string utf8 = artery::mllp::latin1_to_utf8(frame);
      FUZZ_CHECK(artery::mllp::utf8_to_latin1(utf8) == frame);
    }
  }
  return 0;
}
