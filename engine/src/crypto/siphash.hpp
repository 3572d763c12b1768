// SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit PRF for short inputs,
// here for the full-text index's words, where an HMAC per word would cost the
// store's writer ten times as much.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

namespace artery::crypto {

std::uint64_t siphash24(const std::array<unsigned char, 16>& key, std::string_view data);

}  // namespace artery::crypto
