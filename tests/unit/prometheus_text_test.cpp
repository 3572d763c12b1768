// The Prometheus text writer: HELP/TYPE once per family and only when it has
// samples, label values escaped as the format says, histograms cumulative,
// and the naming conventions refused when broken (a bug in the caller).
#include "admin/prometheus_text.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

using namespace artery::admin;

TEST_CASE("prometheus text writes HELP and TYPE once per family, then its samples") {
  PrometheusText out;
  out.family("artery_messages_total", MetricType::counter, "Messages by outcome");
  out.sample({{"channel", "adt"}, {"state", "sent"}}, std::uint64_t{3});
  out.sample({{"channel", "lab"}, {"state", "sent"}}, std::uint64_t{0});
  out.family("artery_uptime_seconds", MetricType::gauge, "Seconds up");
  out.sample({}, 1.5);
  CHECK(out.take() ==
        "# HELP artery_messages_total Messages by outcome\n"
        "# TYPE artery_messages_total counter\n"
        "artery_messages_total{channel=\"adt\",state=\"sent\"} 3\n"
        "artery_messages_total{channel=\"lab\",state=\"sent\"} 0\n"
        "# HELP artery_uptime_seconds Seconds up\n"
        "# TYPE artery_uptime_seconds gauge\n"
        "artery_uptime_seconds 1.5\n");
}

TEST_CASE("prometheus text leaves out a family that got no samples") {
  PrometheusText out;
  out.family("artery_queue_depth", MetricType::gauge, "Queued deliveries");
  out.family("artery_oldest_queued_seconds", MetricType::gauge, "Oldest");
  out.sample({{"channel", "adt"}}, std::int64_t{-2});
  auto text = out.take();
  CHECK(text.find("artery_queue_depth") == std::string::npos);
  CHECK(text.find("artery_oldest_queued_seconds{channel=\"adt\"} -2\n") != std::string::npos);
}

TEST_CASE("prometheus text escapes backslash, quote and newline in label values and HELP") {
  CHECK(escape_label_value("plain") == "plain");
  CHECK(escape_label_value("a\\b") == "a\\\\b");
  CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escape_label_value("two\nlines") == "two\\nlines");
  CHECK(escape_label_value("ünïcode stays") == "ünïcode stays");

  PrometheusText out;
  out.family("x_info", MetricType::gauge, "Help with a \\ and a\nnewline and \"quotes\"");
  out.sample({{"name", "c:\\in \"q\"\n"}}, std::int64_t{1});
  CHECK(out.take() ==
        "# HELP x_info Help with a \\\\ and a\\nnewline and \"quotes\"\n"
        "# TYPE x_info gauge\n"
        "x_info{name=\"c:\\\\in \\\"q\\\"\\n\"} 1\n");
}

TEST_CASE("prometheus text formats numbers as Prometheus parses them") {
  CHECK(format_metric_value(0) == "0");
  CHECK(format_metric_value(42) == "42");
  CHECK(format_metric_value(0.25) == "0.25");
  CHECK(format_metric_value(0.00005) == "0.00005");
  CHECK(format_metric_value(0.0001) == "0.0001");
  CHECK(format_metric_value(-3.5) == "-3.5");
  CHECK(format_metric_value(1e-9) == "1e-09");
  CHECK(format_metric_value(2e20) == "2e+20");
  CHECK(format_metric_value(1e12) == "1000000000000");
  CHECK(format_metric_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_metric_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_metric_value(std::nan("")) == "NaN");
}

TEST_CASE("prometheus text writes a histogram's buckets cumulative, with +Inf, sum and count") {
  PrometheusText out;
  out.family("artery_processing_seconds", MetricType::histogram, "Processing time");
  const std::array<double, 2> bounds = {0.001, 0.01};
  const std::array<std::uint64_t, 3> counts = {4, 0, 1};  // per bucket; the last is above 0.01
  out.histogram({{"channel", "adt"}}, bounds, counts, 2.5);
  CHECK(out.take() ==
        "# HELP artery_processing_seconds Processing time\n"
        "# TYPE artery_processing_seconds histogram\n"
        "artery_processing_seconds_bucket{channel=\"adt\",le=\"0.001\"} 4\n"
        "artery_processing_seconds_bucket{channel=\"adt\",le=\"0.01\"} 4\n"
        "artery_processing_seconds_bucket{channel=\"adt\",le=\"+Inf\"} 5\n"
        "artery_processing_seconds_sum{channel=\"adt\"} 2.5\n"
        "artery_processing_seconds_count{channel=\"adt\"} 5\n");
}

TEST_CASE("prometheus text refuses names and shapes that break the conventions") {
  PrometheusText out;
  CHECK_THROWS_AS(out.family("artery_messages", MetricType::counter, "no _total"), std::logic_error);
  CHECK_THROWS_AS(out.family("artery_depth_total", MetricType::gauge, "a gauge with _total"), std::logic_error);
  CHECK_THROWS_AS(out.family("9lives", MetricType::gauge, "bad name"), std::logic_error);
  CHECK_THROWS_AS(out.family("with-dash", MetricType::gauge, "bad name"), std::logic_error);
  CHECK_THROWS_AS(out.family("no_help", MetricType::gauge, ""), std::logic_error);
  CHECK_THROWS_AS(out.sample({}, 1.0), std::logic_error);  // no family yet

  out.family("ok_gauge", MetricType::gauge, "fine");
  CHECK_THROWS_AS(out.family("ok_gauge", MetricType::gauge, "again"), std::logic_error);
  CHECK_THROWS_AS(out.sample({{"bad-label", "x"}}, 1.0), std::logic_error);
  CHECK_THROWS_AS(out.sample({{"__reserved", "x"}}, 1.0), std::logic_error);
  const std::array<double, 1> bounds = {1};
  const std::array<std::uint64_t, 2> counts = {0, 0};
  CHECK_THROWS_AS(out.histogram({}, bounds, counts, 0), std::logic_error);  // not a histogram family

  out.family("ok_seconds", MetricType::histogram, "fine");
  CHECK_THROWS_AS(out.sample({}, 1.0), std::logic_error);
  CHECK_THROWS_AS(out.histogram({{"le", "1"}}, bounds, counts, 0), std::logic_error);
  const std::array<std::uint64_t, 1> short_counts = {0};
  CHECK_THROWS_AS(out.histogram({}, bounds, short_counts, 0), std::logic_error);

  CHECK(is_metric_name("ns:name_1"));
  CHECK_FALSE(is_label_name("ns:name"));
}
