// MllpFramer: frames out of a byte stream cut in every possible way.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "mllp_framer.hpp"

using artery::mllp::MllpFramer;

namespace {

std::string framed(const std::string& content) { return "\x0b" + content + "\x1c\x0d"; }

std::vector<std::string> drain(MllpFramer& framer, int* oversize = nullptr) {
  std::vector<std::string> frames;
  for (;;) {
    auto r = framer.next();
    if (r.event == MllpFramer::Event::need_more) return frames;
    if (r.event == MllpFramer::Event::frame) frames.emplace_back(r.content);
    if (r.event == MllpFramer::Event::oversize && oversize) ++*oversize;
  }
}

}  // namespace

TEST_CASE("framer returns one frame fed whole", "[mllp][framer]") {
  MllpFramer framer(1024);
  framer.feed(framed("MSH|^~\\&|A\rPID|1"));
  auto frames = drain(framer);
  REQUIRE(frames == std::vector<std::string>{"MSH|^~\\&|A\rPID|1"});
  CHECK_FALSE(framer.in_frame());
  CHECK(framer.junk_bytes() == 0);
}

TEST_CASE("framer reassembles a frame fed one byte at a time", "[mllp][framer]") {
  MllpFramer framer(1024);
  std::string wire = framed("MSH|^~\\&|ONE") + framed("MSH|^~\\&|TWO");
  std::vector<std::string> frames;
  for (char c : wire) {
    framer.feed(std::string(1, c));
    for (auto& f : drain(framer)) frames.push_back(f);
  }
  REQUIRE(frames == std::vector<std::string>{"MSH|^~\\&|ONE", "MSH|^~\\&|TWO"});
}

TEST_CASE("framer splits every cut point of two frames the same way", "[mllp][framer]") {
  std::string wire = framed("MSH|^~\\&|ONE\rPID|1") + framed("MSH|^~\\&|TWO");
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    MllpFramer framer(1024);
    framer.feed(wire.substr(0, cut));
    auto frames = drain(framer);
    framer.feed(wire.substr(cut));
    for (auto& f : drain(framer)) frames.push_back(f);
    INFO("cut at " << cut);
    REQUIRE(frames == std::vector<std::string>{"MSH|^~\\&|ONE\rPID|1", "MSH|^~\\&|TWO"});
  }
}

TEST_CASE("framer returns several frames from one read in order", "[mllp][framer]") {
  MllpFramer framer(1024);
  framer.feed(framed("A") + framed("B") + framed("C"));
  REQUIRE(drain(framer) == std::vector<std::string>{"A", "B", "C"});
}

TEST_CASE("framer discards junk before a start block and counts it", "[mllp][framer]") {
  MllpFramer framer(1024);
  framer.feed(std::string("\xff\xfe garbage\x01", 11) + framed("MSH|X"));
  REQUIRE(drain(framer) == std::vector<std::string>{"MSH|X"});
  CHECK(framer.junk_bytes() == 10);  // the space is whitespace, not junk
}

TEST_CASE("framer skips NUL and line ends between frames silently", "[mllp][framer]") {
  MllpFramer framer(1024);
  framer.feed(framed("A") + std::string("\0\0\r\n \t", 6) + framed("B") + "\n");
  REQUIRE(drain(framer) == std::vector<std::string>{"A", "B"});
  CHECK(framer.junk_bytes() == 0);
}

TEST_CASE("framer restarts a frame when a second start block arrives", "[mllp][framer]") {
  MllpFramer framer(1024);
  framer.feed("\x0bMSH|abandoned" + framed("MSH|real"));
  REQUIRE(drain(framer) == std::vector<std::string>{"MSH|real"});
  CHECK(framer.junk_bytes() > 0);
}

TEST_CASE("framer accepts a frame exactly at the limit and reports one byte more as oversize", "[mllp][framer]") {
  MllpFramer framer(10);
  framer.feed(framed(std::string(10, 'x')));
  REQUIRE(drain(framer) == std::vector<std::string>{std::string(10, 'x')});

  int oversize = 0;
  framer.feed(framed(std::string(11, 'y')) + framed("ok"));
  auto frames = drain(framer, &oversize);
  CHECK(oversize == 1);
  // The rest of the oversize frame is dropped; the next frame still comes out.
  REQUIRE(frames == std::vector<std::string>{"ok"});
}

TEST_CASE("framer reports oversize before the end block arrives and hands out the head", "[mllp][framer]") {
  MllpFramer framer(100);
  framer.feed("\x0bMSH|^~\\&|SND|FAC|||20240101||ADT^A01|BIG1|P|2.5\r" + std::string(200, 'z'));
  auto r = framer.next();
  REQUIRE(r.event == MllpFramer::Event::oversize);
  CHECK(r.content.substr(0, 8) == "MSH|^~\\&");
  CHECK(r.content.size() == 100);
  CHECK(framer.in_frame());  // still discarding the tail
  framer.feed(std::string(5000, 'z') + "\x1c\x0d" + framed("next"));
  REQUIRE(drain(framer) == std::vector<std::string>{"next"});
}

TEST_CASE("framer knows a frame is in flight for a peer that vanishes", "[mllp][framer]") {
  MllpFramer framer(1024);
  framer.feed("\x0bMSH|partial");
  CHECK(drain(framer).empty());
  CHECK(framer.in_frame());
  CHECK(framer.buffered() > 0);
}

TEST_CASE("framer handles a large frame read through prepare/commit in pieces", "[mllp][framer]") {
  MllpFramer framer(4 * 1024 * 1024);
  std::string content(3 * 1024 * 1024, 'a');
  std::string wire = framed(content);
  std::size_t at = 0;
  std::vector<std::string> frames;
  while (at < wire.size()) {
    std::size_t space = 0;
    char* into = framer.prepare(7000, space);
    std::size_t n = std::min(space, std::min<std::size_t>(7000, wire.size() - at));
    std::memcpy(into, wire.data() + at, n);
    framer.commit(n);
    at += n;
    for (auto& f : drain(framer)) frames.push_back(f);
  }
  REQUIRE(frames.size() == 1);
  CHECK(frames[0] == content);
}
