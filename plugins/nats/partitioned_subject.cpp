#include "partitioned_subject.hpp"

#include <artery/hl7.hpp>
#include <artery/options.hpp>

namespace artery::nats {

int partition_of(std::string_view key, int partitions) {
  if (key.empty() || partitions <= 1) return 0;
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a offset basis
  for (unsigned char c : key) {
    hash ^= c;
    hash *= 1099511628211ull;  // FNV prime
  }
  return static_cast<int>(hash % static_cast<std::uint64_t>(partitions));
}

std::string message_key(const std::string& partition_key, const OutboundMessage& message) {
  if (partition_key.find("${") != std::string::npos) {
    std::string problem;
    return expand_template(partition_key, message.vars, &problem).value_or("");
  }
  if (message.data_type != data_type::hl7v2) return {};
  auto parsed = hl7::Message::parse(message.content);
  return parsed ? parsed->get(partition_key) : std::string();
}

std::string partition_subject(const std::string& subject, int partition) {
  return subject + "." + std::to_string(partition);
}

}  // namespace artery::nats
