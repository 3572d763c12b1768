// Parsing of the small value types connector options use, and ${var} templates.
#include <artery/options.hpp>

#include <cctype>
#include <charconv>

namespace artery {
namespace {

bool parse_number(std::string_view text, double& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out >= 0;
}

std::pair<std::string_view, std::string_view> split_unit(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return {text.substr(0, i), unit};
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto [number, unit] = split_unit(text);
  double value = 0;
  if (!parse_number(number, value)) return std::nullopt;
  double factor = 0;
  if (unit.empty() || unit == "s") factor = 1000;
  else if (unit == "ms") factor = 1;
  else if (unit == "m" || unit == "min") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(value * factor));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto [number, unit] = split_unit(text);
  double value = 0;
  if (!parse_number(number, value)) return std::nullopt;
  double factor = 0;
  if (unit.empty() || unit == "B") factor = 1;
  else if (unit == "KiB" || unit == "K") factor = 1024.0;
  else if (unit == "MiB" || unit == "M") factor = 1024.0 * 1024;
  else if (unit == "GiB" || unit == "G") factor = 1024.0 * 1024 * 1024;
  else if (unit == "KB" || unit == "kB") factor = 1e3;
  else if (unit == "MB") factor = 1e6;
  else if (unit == "GB") factor = 1e9;
  else return std::nullopt;
  return static_cast<std::uint64_t>(value * factor);
}

std::optional<Address> parse_address(std::string_view text) {
  Address out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
  out.port = static_cast<std::uint16_t>(value);
  if (out.host.empty()) out.host = "0.0.0.0";
  return out;
}

namespace {

// One ${...} reference at `open` (which points at "${"): where it ends, its
// name and its default. A '${' before the closing '}' means this one was never
// closed ("${a_${b}"): that is the problem to report, not a bad name.
struct TemplateRef {
  std::size_t end = 0;  // one past '}'
  std::string_view name;
  std::optional<std::string_view> fallback;  // after ":-"
  std::string problem;
};

TemplateRef read_ref(std::string_view text, std::size_t open) {
  TemplateRef ref;
  const std::size_t body = open + 2;
  const auto close = text.find('}', body);
  const auto nested = text.find("${", body);
  if (close == std::string_view::npos || nested < close) {
    ref.problem = "unclosed ${ in template (at '" + std::string(text.substr(open, 12)) + "')";
    return ref;
  }
  ref.end = close + 1;
  std::string_view inside = text.substr(body, close - body);
  if (auto dash = inside.find(":-"); dash != std::string_view::npos) {
    ref.fallback = inside.substr(dash + 2);
    inside = inside.substr(0, dash);
  }
  ref.name = inside;
  if (inside.empty()) {
    ref.problem = "empty ${} in template";
    return ref;
  }
  for (char c : inside)
    if (!is_name_char(c)) {
      ref.problem = "bad variable name '" + std::string(inside) + "' in template (names use letters, digits, _ . -)";
      return ref;
    }
  return ref;
}

}  // namespace

std::optional<std::string> expand_template(std::string_view text, const std::map<std::string, std::string>& vars,
                                           std::string* missing) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    auto open = text.find("${", i);
    if (open == std::string_view::npos) break;
    TemplateRef ref = read_ref(text, open);
    if (!ref.problem.empty()) {
      if (missing) *missing = ref.problem;
      return std::nullopt;
    }
    out.append(text.substr(i, open - i));
    auto it = vars.find(std::string(ref.name));
    if (it != vars.end()) {
      out += it->second;
    } else if (ref.fallback) {
      out += *ref.fallback;
    } else {
      if (missing)
        *missing = "variable '" + std::string(ref.name) + "' is not set (write ${" + std::string(ref.name) +
                   ":-default} to give it a default)";
      return std::nullopt;
    }
    i = ref.end;
  }
  out.append(text.substr(i));
  return out;
}

std::string check_template(std::string_view text) {
  std::size_t i = 0;
  while ((i = text.find("${", i)) != std::string_view::npos) {
    TemplateRef ref = read_ref(text, i);
    if (!ref.problem.empty()) return ref.problem;
    i = ref.end;
  }
  return {};
}

}  // namespace artery
