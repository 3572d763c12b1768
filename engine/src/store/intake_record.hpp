// One accepted message as it is written to the intake log (see intake_log.hpp):
// a fixed header (magic, payload length, checksum of the payload) and the
// message's fields, so that a record cut short by a crash, or any damage, is
// recognised and never replayed as a message.
#pragma once
#include "store/message_store.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artery::intake_record {

inline constexpr std::size_t header_size = 16;  // magic u32, payload length u32, checksum u64

// The header's checksum of a record's payload (public for the fuzz target,
// which must write valid headers to reach the payload reader).
std::uint64_t payload_checksum(std::string_view payload);

// Appends the record for `message` (whose id is set) to `out`.
void encode(const NewMessage& message, std::string& out);

enum class Read { ok, end, damaged };
// Reads the record at the start of `bytes` into `message` and sets `size` to
// its length. `end` when `bytes` is empty or starts with the zeros of unused
// (preallocated) space; `damaged` for a torn or corrupt record.
Read decode(std::string_view bytes, NewMessage& message, std::size_t& size);

}  // namespace artery::intake_record
