#include "store/intake_record.hpp"

#include <algorithm>
#include <cstring>

namespace artery::intake_record {
namespace {

constexpr std::uint32_t magic = 0x31544e49;  // "INT1" little-endian
// A record larger than this is damage, not a message (frames are capped far lower).
constexpr std::uint32_t max_payload = 1u << 30;

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void put_text(std::string& out, std::string_view text) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

// Reads fields from a payload; any read past its end marks it failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  template <class T>
  T get() {
    T value{};
    if (bytes_.size() - at_ < sizeof(T)) {
      failed_ = true;
      return value;
    }
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::string text() {
    auto size = get<std::uint32_t>();
    if (failed_ || bytes_.size() - at_ < size) {
      failed_ = true;
      return {};
    }
    std::string out(bytes_.substr(at_, size));
    at_ += size;
    return out;
  }
  bool failed() const { return failed_; }
  bool whole() const { return !failed_ && at_ == bytes_.size(); }
  bool at_end() const { return at_ >= bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

}  // namespace

// A 64-bit multiply-xorshift hash, 8 bytes a step: it only has to tell a torn
// or overwritten record from a whole one, and costs ~0.1 ns a byte.
std::uint64_t payload_checksum(std::string_view bytes) {
  constexpr std::uint64_t k = 0x9e3779b97f4a7c15ull;
  std::uint64_t h = 0x243f6a8885a308d3ull ^ bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    h = (h ^ word) * k;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  h = (h ^ tail) * k;
  return h ^ (h >> 32);
}

void encode(const NewMessage& m, std::string& out) {
  const std::size_t start = out.size();
  out.append(header_size, '\0');
  put<std::int64_t>(out, m.id);
  put<std::int64_t>(out, m.received_at_ms);
  put_text(out, to_string(m.state));  // the store's word, not the enum's number
  for (const std::string* text : {&m.channel, &m.data_type, &m.raw, &m.transformed, &m.transformed_type,
                                  &m.message_type, &m.control_id, &m.patient_id, &m.error, &m.vars_json,
                                  &m.attributes_json})
    put_text(out, *text);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(m.destinations.size()));
  for (const auto& destination : m.destinations) put_text(out, destination);
  // Routing fields, appended: a record without them (written by an engine
  // before routing existed) still reads, as a message nobody routed.
  if (!m.origin_channel.empty() || !m.delivery_contents.empty() || !m.patient_sealed.empty()) {
    put_text(out, m.origin_channel);
    put<std::int64_t>(out, m.origin_message_id);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(m.delivery_contents.size()));
    for (const auto& content : m.delivery_contents) put_text(out, content);
    // Encryption at rest, appended likewise: the sealed patient id beside its
    // keyed hash (patient_id).
    if (!m.patient_sealed.empty()) put_text(out, m.patient_sealed);
  }

  std::string_view payload(out.data() + start + header_size, out.size() - start - header_size);
  const auto length = static_cast<std::uint32_t>(payload.size());
  const std::uint64_t sum = payload_checksum(payload);
  std::memcpy(out.data() + start, &magic, 4);
  std::memcpy(out.data() + start + 4, &length, 4);
  std::memcpy(out.data() + start + 8, &sum, 8);
}

Read decode(std::string_view bytes, NewMessage& m, std::size_t& size) {
  if (bytes.empty()) return Read::end;
  std::uint32_t found_magic = 0, length;
  std::uint64_t sum;
  std::memcpy(&found_magic, bytes.data(), std::min<std::size_t>(4, bytes.size()));
  if (found_magic == 0) return Read::end;  // preallocated space no record reached
  if (bytes.size() < header_size) return Read::damaged;
  std::memcpy(&length, bytes.data() + 4, 4);
  std::memcpy(&sum, bytes.data() + 8, 8);
  if (found_magic != magic || length > max_payload || bytes.size() - header_size < length) return Read::damaged;
  std::string_view payload = bytes.substr(header_size, length);
  if (payload_checksum(payload) != sum) return Read::damaged;

  Reader in(payload);
  m = NewMessage{};
  m.id = in.get<std::int64_t>();
  m.received_at_ms = in.get<std::int64_t>();
  const auto state = message_state_from(in.text());
  for (std::string* text : {&m.channel, &m.data_type, &m.raw, &m.transformed, &m.transformed_type, &m.message_type,
                            &m.control_id, &m.patient_id, &m.error, &m.vars_json, &m.attributes_json})
    *text = in.text();
  const auto destinations = in.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < destinations && !in.failed(); ++i) m.destinations.push_back(in.text());
  if (!in.failed() && !in.at_end()) {
    m.origin_channel = in.text();
    m.origin_message_id = in.get<std::int64_t>();
    const auto contents = in.get<std::uint32_t>();
    for (std::uint32_t i = 0; i < contents && !in.failed(); ++i) m.delivery_contents.push_back(in.text());
    if (!m.delivery_contents.empty() && m.delivery_contents.size() != m.destinations.size()) return Read::damaged;
    if (!in.failed() && !in.at_end()) m.patient_sealed = in.text();
  }
  if (!in.whole() || !state) return Read::damaged;
  m.state = *state;
  size = header_size + length;
  return Read::ok;
}

}  // namespace artery::intake_record
