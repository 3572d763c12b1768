// Intake log record reader (engine/src/store/intake_record): a segment's
// bytes read record after record, as recovery at start does (intake_log.cpp).
// The first input byte picks what the rest is: odd, the payload of one record
// behind a valid header (so the fuzzer reaches the field reader instead of
// stopping at the checksum); even, raw segment bytes. Invariant: a record
// that reads ok encodes into one that reads back the same message.
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"

#include "store/intake_record.hpp"

#include <cstdint>
#include <cstring>
#include <string>

using namespace artery;

namespace {

// A header for `payload` as encode() writes it: its magic taken from a real record.
std::string record_for(std::string_view payload) {
  std::string real;
  intake_record::encode(NewMessage{}, real);
  std::string out = real.substr(0, 4);
  const auto length = static_cast<std::uint32_t>(payload.size());
  const std::uint64_t sum = intake_record::payload_checksum(payload);
  out.append(reinterpret_cast<const char*>(&length), 4);
  out.append(reinterpret_cast<const char*>(&sum), 8);
  out.append(payload);
  return out;
}

bool same(const NewMessage& a, const NewMessage& b) {
  return a.id == b.id && a.channel == b.channel && a.received_at_ms == b.received_at_ms && a.state == b.state &&
         a.data_type == b.data_type && a.raw == b.raw && a.transformed == b.transformed &&
         a.transformed_type == b.transformed_type && a.message_type == b.message_type &&
         a.control_id == b.control_id && a.patient_id == b.patient_id && a.error == b.error &&
         a.vars_json == b.vars_json && a.attributes_json == b.attributes_json && a.destinations == b.destinations &&
         a.delivery_contents == b.delivery_contents && a.origin_channel == b.origin_channel;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput input(data, size);
  const bool payload_mode = input.byte() & 1;
  const std::string segment = payload_mode ? record_for(input.rest()) : std::string(input.rest());
  std::string_view rest(segment);
  for (;;) {
    NewMessage message;
    std::size_t record_size = 0;
    if (intake_record::decode(rest, message, record_size) != intake_record::Read::ok) break;
    FUZZ_CHECK(record_size >= intake_record::header_size && record_size <= rest.size());
    rest.remove_prefix(record_size);
    std::string again;
    intake_record::encode(message, again);
    NewMessage back;
    std::size_t back_size = 0;
    FUZZ_CHECK(intake_record::decode(again, back, back_size) == intake_record::Read::ok);
    FUZZ_CHECK(back_size == again.size());
    FUZZ_CHECK(same(message, back));
  }
  return 0;
}
