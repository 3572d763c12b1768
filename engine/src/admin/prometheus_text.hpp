// The Prometheus text exposition format (version 0.0.4), written one metric
// family at a time: HELP and TYPE once per family, before its first sample,
// label values escaped, numbers in a form Prometheus parses. It knows nothing
// about Artery; the /metrics endpoint says what to write.
//
// A family whose samples never come is left out entirely (no HELP/TYPE
// without samples), so an endpoint can declare a family and let its data
// decide whether it appears. Misuse — a malformed name, a counter not ending
// in `_total`, a family declared twice, a sample of the wrong kind — is a
// bug in the caller and throws std::logic_error.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artery::admin {

enum class MetricType { counter, gauge, histogram };

using MetricLabels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  // The Content-Type of what take() returns.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // Starts a family; the samples that follow belong to it.
  void family(std::string_view name, MetricType type, std::string_view help);

  // A counter's or gauge's sample.
  void sample(const MetricLabels& labels, double value);
  void sample(const MetricLabels& labels, std::int64_t value);
  void sample(const MetricLabels& labels, std::uint64_t value);

  // A histogram's samples: `_bucket` per upper bound (cumulative, as the
  // format wants) and +Inf, `_sum` and `_count`. `counts` are per bucket,
  // not cumulative, with one more entry than `upper_bounds` (the overflow).
  void histogram(const MetricLabels& labels, std::span<const double> upper_bounds,
                 std::span<const std::uint64_t> counts, double sum);

  // The text so far; the writer is empty afterwards.
  std::string take();

 private:
  void header_once();
  void line(std::string_view suffix, const MetricLabels& labels, std::string_view extra_label,
            std::string_view extra_value, std::string_view value);
  void expect(MetricType type) const;

  std::string out_;
  std::vector<std::string> seen_;  // family names so far
  std::string name_;
  std::string help_;
  MetricType type_ = MetricType::gauge;
  bool open_ = false;     // a family has been declared
  bool written_ = false;  // its HELP/TYPE are out
};

// "a\"b" -> "a\\\"b": a label value as the format escapes it (\\, \", \n).
std::string escape_label_value(std::string_view value);
// A sample value: integers exactly, other numbers shortest round-trip, +Inf, -Inf, NaN.
std::string format_metric_value(double value);
// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; without ':' for label names.
bool is_metric_name(std::string_view name) noexcept;
bool is_label_name(std::string_view name) noexcept;

}  // namespace artery::admin
