#include "admin/prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace artery::admin {
namespace {

bool name_char(char c, bool first, bool colon) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon)) return false;
  return true;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// HELP text escapes only backslash and newline (quotes stay as they are).
std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

bool is_metric_name(std::string_view name) noexcept { return valid_name(name, true); }
bool is_label_name(std::string_view name) noexcept { return valid_name(name, false); }

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Plain decimals in the range metrics live in (bucket bounds read
  // "0.0001", not "1e-04"), the shortest exact form beyond it.
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
  char buffer[400];
  auto [end, ec] = plain ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                         : std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc{}) return "NaN";  // cannot happen: the buffer holds any double
  return std::string(buffer, end);
}

void PrometheusText::family(std::string_view name, MetricType type, std::string_view help) {
  if (!is_metric_name(name)) throw std::logic_error("metric name '" + std::string(name) + "' is not valid");
  // The conventions promtool checks: counters end in _total, nothing else does.
  if ((type == MetricType::counter) != ends_with(name, "_total"))
    throw std::logic_error("metric " + std::string(name) + ": counters, and only counters, end in _total");
  if (help.empty()) throw std::logic_error("metric " + std::string(name) + " has no HELP text");
  if (std::find(seen_.begin(), seen_.end(), name) != seen_.end())
    throw std::logic_error("metric family " + std::string(name) + " declared twice");
  seen_.emplace_back(name);
  name_ = name;
  help_ = help;
  type_ = type;
  open_ = true;
  written_ = false;
}

void PrometheusText::expect(MetricType type) const {
  if (!open_) throw std::logic_error("metric sample before any family");
  if ((type == MetricType::histogram) != (type_ == MetricType::histogram))
    throw std::logic_error("metric " + name_ + ": histogram() is for histograms, sample() for the others");
}

void PrometheusText::header_once() {
  if (written_) return;
  out_ += "# HELP " + name_ + ' ' + escape_help(help_) + '\n';
  out_ += "# TYPE " + name_ + ' ' + std::string(type_name(type_)) + '\n';
  written_ = true;
}

void PrometheusText::line(std::string_view suffix, const MetricLabels& labels, std::string_view extra_label,
                          std::string_view extra_value, std::string_view value) {
  header_once();
  out_ += name_;
  out_ += suffix;
  if (!labels.empty() || !extra_label.empty()) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view label, std::string_view text) {
      if (!is_label_name(label) || label.substr(0, 2) == "__")
        throw std::logic_error("metric " + name_ + ": label name '" + std::string(label) + "' is not valid");
      if (!first) out_ += ',';
      first = false;
      out_ += label;
      out_ += "=\"";
      out_ += escape_label_value(text);
      out_ += '"';
    };
    for (const auto& [label, text] : labels) add(label, text);
    if (!extra_label.empty()) add(extra_label, extra_value);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::sample(const MetricLabels& labels, double value) {
  expect(MetricType::gauge);
  line("", labels, {}, {}, format_metric_value(value));
}

void PrometheusText::sample(const MetricLabels& labels, std::int64_t value) {
  expect(MetricType::gauge);
  line("", labels, {}, {}, std::to_string(value));
}

void PrometheusText::sample(const MetricLabels& labels, std::uint64_t value) {
  expect(MetricType::gauge);
  line("", labels, {}, {}, std::to_string(value));
}

void PrometheusText::histogram(const MetricLabels& labels, std::span<const double> upper_bounds,
                               std::span<const std::uint64_t> counts, double sum) {
  expect(MetricType::histogram);
  if (counts.size() != upper_bounds.size() + 1)
    throw std::logic_error("metric " + name_ + ": a histogram needs one count per bucket and one for +Inf");
  for (const auto& [label, text] : labels)
    if (label == "le") throw std::logic_error("metric " + name_ + ": 'le' is the histogram's own label");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    cumulative += counts[i];
    line("_bucket", labels, "le", format_metric_value(upper_bounds[i]), std::to_string(cumulative));
  }
  cumulative += counts.back();
  line("_bucket", labels, "le", "+Inf", std::to_string(cumulative));
  line("_sum", labels, {}, {}, format_metric_value(sum));
  line("_count", labels, {}, {}, std::to_string(cumulative));
}

std::string PrometheusText::take() {
  std::string text = std::move(out_);
  out_.clear();
  seen_.clear();
  open_ = written_ = false;
  return text;
}

}  // namespace artery::admin
