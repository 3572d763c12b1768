// Mutation fuzzing of the HL7 parser: random byte flips/inserts/deletes of
// the samples (fixed seed, reproducible); every mutation must give either an
// error value or a message that can be read, updated and encoded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "artery/hl7.hpp"

using namespace artery::hl7;

namespace {

std::vector<std::string> load_inputs() {
  std::vector<std::string> inputs;
  const auto root = std::filesystem::path(ARTERY_FIXTURES) / "samples" / "hl7v2";
  for (const auto& dir : {root, root / "malformed"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".hl7") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream out;
      out << in.rdbuf();
      inputs.push_back(out.str());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

// Bytes the parser cares about, so mutations hit structure often.
const char kInteresting[] = {'|', '^', '~', '\\', '&', '\r', '\n', '\0', 'M', 'S', 'H', '#', 'X', '\xFF'};

std::string mutate(std::string s, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits; ++e) {
    auto pick_byte = [&] {
      return (rng() % 2) ? kInteresting[rng() % sizeof kInteresting] : static_cast<char>(rng() & 0xFF);
    };
    switch (rng() % 4) {
      case 0:
        if (!s.empty()) s[rng() % s.size()] = pick_byte();
        break;
      case 1:
        s.insert(s.begin() + static_cast<long>(s.empty() ? 0 : rng() % (s.size() + 1)), pick_byte());
        break;
      case 2:
        if (!s.empty()) s.erase(rng() % s.size(), 1 + rng() % 4);
        break;
      default:
        if (!s.empty()) {  // duplicate a chunk: repeated segments/delimiters
          std::size_t at = rng() % s.size();
          s.insert(at, s.substr(at, 1 + rng() % 32));
        }
    }
  }
  return s;
}

}  // namespace

TEST_CASE("hl7 fuzz: mutated samples never crash parse/get/set/encode", "[hl7]") {
  const auto inputs = load_inputs();
  REQUIRE(inputs.size() > 40);
  std::mt19937 rng(20240521);
  const char* paths[] = {"MSH-9.2", "MSH-10", "PID-3[2].4.2", "OBX(2)-5", "PID-5", "MSH-2", "ZZZ-1", "EVN-1.1.1"};
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string input = mutate(inputs[rng() % inputs.size()], rng);
    ParseError error;
    auto m = Message::parse(input, &error);
    if (!m) {
      ++rejected;
      CHECK_FALSE(error.message.empty());
      CHECK(error.offset <= input.size());
      (void)build_ack_for_raw(input, AckOptions{"AR", error.message, "", ""});
      (void)split_batch(input);
      continue;
    }
    ++parsed;
    CHECK(m->encode() == input);
    for (const char* p : paths) (void)m->get(p);
    (void)m->message_type();
    (void)build_ack(*m, AckOptions{});
    // An update must re-encode into something that parses with the value back.
    REQUIRE(m->set("PID-5.1", "FUZZ^ME"));
    auto back = Message::parse(m->encode());
    REQUIRE(back);
    CHECK(back->get("PID-5.1") == "FUZZ^ME");
  }
  // Both outcomes must actually be exercised.
  CHECK(parsed > 100);
  CHECK(rejected > 100);
}
