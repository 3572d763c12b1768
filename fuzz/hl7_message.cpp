// HL7 v2 parser (engine/src/hl7): parse, read every field, update, encode,
// acknowledge, split batches. Invariants, as tests/unit/hl7_fuzz_test.cpp
// states them: an unchanged message encodes byte for byte as it was read, an
// error says where it is, and an update re-encodes into a message that parses
// and gives the value back.
#include "fuzz_check.hpp"

#include <artery/hl7.hpp>

#include <cstdint>
#include <string>

using namespace artery::hl7;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  (void)split_batch(input);
  (void)parse_path(input.substr(0, 40));
  ParseError error;
  auto message = Message::parse(input, &error);
  if (!message) {
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK(error.offset <= input.size());
    (void)build_ack_for_raw(input, AckOptions{"AR", error.message, "", ""});
    return 0;
  }
  FUZZ_CHECK(message->encode() == input);
  (void)message->message_type();
  (void)message->control_id();
  (void)unescape(input.substr(0, 200), message->delimiters());
  // Every field, repetition and component of the first segments, by path.
  const std::size_t segments = std::min<std::size_t>(message->segment_count(), 8);
  for (std::size_t s = 0; s < segments; ++s) {
    const std::string name(message->segment_name(s));
    const int fields = std::min(message->field_count(name), 30);
    for (int f = 1; f <= fields; ++f) {
      Path path{name, 1, f, 1, 0, 0};
      const int repetitions = std::min(message->repetition_count(path), 4);
      for (int r = 1; r <= repetitions; ++r) {
        path.repetition = r;
        (void)message->get(path);
        (void)message->get_raw(path);
        path.component = 2;
        path.subcomponent = 1;
        (void)message->get(path);
        path.component = 0;
        path.subcomponent = 0;
      }
    }
  }
  (void)build_ack(*message, AckOptions{"AE", "fuzz", "", "20240101000000"});
  Message copy = *message;
  FUZZ_CHECK(copy.set("PID-5.1", "FUZZ^ME"));
  auto back = Message::parse(copy.encode());
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->get("PID-5.1") == "FUZZ^ME");
  copy.add_segment("NTE|1||fuzz");
  (void)copy.remove_segment("NTE", 1);
  (void)Message::parse(copy.encode());
  return 0;
}
