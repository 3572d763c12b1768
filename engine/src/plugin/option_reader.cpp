#include <artery/option_reader.hpp>

#include <charconv>

namespace artery {
namespace {

namespace pt = boost::property_tree;

pt::ptree::path_type dotted(std::string_view key) { return pt::ptree::path_type(std::string(key), '.'); }

}  // namespace

OptionReader::OptionReader(const ConnectorOptions& options, const OptionSpec* specs, std::size_t count)
    : options_(options), specs_(specs), count_(count) {}

std::optional<std::string> OptionReader::value(std::string_view key) const {
  if (auto node = options_.tree.get_child_optional(dotted(key))) return node->data();
  for (std::size_t i = 0; i < count_; ++i)
    if (specs_[i].key && key == specs_[i].key && specs_[i].default_value) return std::string(specs_[i].default_value);
  return std::nullopt;
}

bool OptionReader::present(std::string_view key) const { return value(key).has_value(); }

std::string OptionReader::string(std::string_view key) const { return value(key).value_or(std::string{}); }

void OptionReader::fail(std::string_view key, const std::string& what) {
  if (!error_.empty()) return;
  const std::string where = options_.location_of(std::string(key));
  error_ = (where.empty() ? std::string{} : where + ": ") + std::string(key) + ": " + what;
}

std::string OptionReader::required(std::string_view key) {
  std::string text = string(key);
  if (text.empty()) fail(key, "is required");
  return text;
}

bool OptionReader::boolean(std::string_view key) {
  const std::string text = string(key);
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE" || text.empty()) return false;
  fail(key, "expected true or false, got '" + text + "'");
  return false;
}

std::int64_t OptionReader::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  const std::string text = string(key);
  std::int64_t out = 0;
  const char* begin = text.data() + (!text.empty() && text.front() == '+' ? 1 : 0);
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), out);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    fail(key, "expected a whole number, got '" + text + "'");
    return min;
  }
  if (out < min || out > max) {
    fail(key, "must be from " + std::to_string(min) + " to " + std::to_string(max) + ", got " + text);
    return min;
  }
  return out;
}

std::chrono::milliseconds OptionReader::duration(std::string_view key) {
  const std::string text = string(key);
  if (auto parsed = parse_duration(text)) return *parsed;
  fail(key, "expected a duration such as 250ms, 1s or 5m, got '" + text + "'");
  return {};
}

std::uint64_t OptionReader::size(std::string_view key) {
  const std::string text = string(key);
  if (auto parsed = parse_size(text)) return *parsed;
  fail(key, "expected a size such as 512KiB or 1MiB, got '" + text + "'");
  return 0;
}

std::optional<Address> OptionReader::address(std::string_view key) {
  auto text = value(key);
  if (!text || text->empty()) {
    fail(key, "is required (host:port)");
    return std::nullopt;
  }
  auto parsed = parse_address(*text);
  if (!parsed) fail(key, "expected host:port with a port from 1 to 65535, got '" + *text + "'");
  return parsed;
}

std::size_t OptionReader::choice(std::string_view key, std::initializer_list<std::string_view> choices) {
  const std::string text = string(key);
  std::size_t index = 0;
  std::string listed;
  for (std::string_view c : choices) {
    if (c == text) return index;
    listed += (listed.empty() ? "" : ", ") + std::string(c);
    ++index;
  }
  fail(key, "expected one of " + listed + ", got '" + text + "'");
  return 0;
}

std::vector<std::string> OptionReader::list(std::string_view key) const {
  std::vector<std::string> out;
  auto node = options_.tree.get_child_optional(dotted(key));
  if (node && !node->empty()) {
    for (const auto& [name, item] : *node) out.push_back(item.data());
    return out;
  }
  // Options given flat (`artery send`'s key=value pairs): "a, b".
  const std::string text = node ? node->data() : string(key);
  std::size_t from = 0;
  while (from < text.size()) {
    auto comma = text.find(',', from);
    std::string item = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  return out;
}

std::filesystem::path OptionReader::path(std::string_view key, const std::filesystem::path& base) const {
  std::filesystem::path written = string(key);
  if (written.empty() || written.is_absolute() || base.empty()) return written;
  return base / written;
}

}  // namespace artery
