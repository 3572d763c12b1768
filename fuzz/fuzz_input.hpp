// Reads a fuzz input as a few control bytes followed by the payload, so one
// input decides both how it is fed (read sizes, limits) and what is fed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace artery::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  // True when the input starts with `c`: a raw sample (a JSON resource, an
  // XML document, an MLLP frame) used as a seed as it is, without control
  // bytes; the target then takes its defaults instead.
  bool raw_sample(char c) const { return pos_ == 0 && size_ > 0 && data_[0] == static_cast<std::uint8_t>(c); }
  // The next control byte (0 once the input is used up).
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Everything not taken yet.
  std::string_view rest() const {
    return {reinterpret_cast<const char*>(data_) + pos_, size_ - pos_};
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// Read sizes for feeding a byte stream in pieces: a small PRNG seeded from
// the input, sizes 1..max, so frame boundaries fall everywhere.
class ChunkSizes {
 public:
  ChunkSizes(std::uint8_t seed, std::size_t max) : state_(seed * 2654435761u + 1), max_(max ? max : 1) {}
  std::size_t next() {
    state_ = state_ * 1103515245u + 12345u;
    return 1 + (state_ >> 8) % max_;
  }

 private:
  std::uint32_t state_;
  std::size_t max_;
};

}  // namespace artery::fuzz
