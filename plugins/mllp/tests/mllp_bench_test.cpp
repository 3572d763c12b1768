// Throughput figures (hidden: run with `artery_mllp_tests "[bench]"`). They
// print numbers and assert only correctness, never timing.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <future>
#include <iostream>

#include "mllp_destination.hpp"
#include "mllp_test_support.hpp"

using namespace mllp_test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kBody =
    "PID|1||555444222^^^HOSP^MR||EVERYWOMAN^EVE^E||19620320|F\r"
    "OBR|1|845439^GHH OE|1045813^GHH LAB|15545^GLUCOSE|||200202150730\r"
    "OBX|1|NM|15074-8^GLUCOSE^LN||182|mg/dl|70_105|H|||F\r";

// Process CPU time (all threads: client, listener, test channel), which says
// more than wall time on a busy machine.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

double per_second(int n, Clock::duration d) {
  return n / std::chrono::duration<double>(d).count();
}

}  // namespace

TEST_CASE("bench: one connection, send and wait for each ACK", "[.][bench]") {
  RunningSource server(loopback_settings(), [](const artery::Message&) { return artery::Disposition{}; });
  Client c(server.port());
  const int n = 20000;
  for (int i = 0; i < 200; ++i) {  // warm up
    c.send_frame(hl7_message("W" + std::to_string(i), "", kBody));
    c.read_frame();
  }
  auto start = Clock::now();
  double cpu_start = cpu_seconds();
  for (int i = 0; i < n; ++i) {
    c.send_frame(hl7_message(std::to_string(i), "", kBody));
    auto ack = c.read_frame();
    if (i == n - 1) CHECK(parse_ack(ack).control_id == std::to_string(i));
  }
  auto elapsed = Clock::now() - start;
  std::cout << "mllp source, 1 connection, lock-step: " << static_cast<long>(per_second(n, elapsed))
            << " msg/s (" << std::chrono::duration<double, std::micro>(elapsed).count() / n << " us round trip, "
            << (cpu_seconds() - cpu_start) * 1e6 / n << " us CPU per message, client included)\n";
}

TEST_CASE("bench: destination to source, lock-step", "[.][bench]") {
  RunningSource server(loopback_settings(), [](const artery::Message&) { return artery::Disposition{}; });
  artery::mllp::DestinationSettings settings;
  settings.remote.host = "127.0.0.1";
  settings.remote.port = server.port();
  TestContext context;
  artery::mllp::MllpDestination destination(settings, context);
  std::string error;
  REQUIRE(destination.start(error));
  const int n = 20000;
  auto start = Clock::now();
  int sent = 0;
  for (int i = 0; i < n; ++i) {
    std::promise<artery::SendResult> p;
    artery::OutboundMessage m;
    m.content = hl7_message(std::to_string(i), "", kBody);
    destination.send(std::move(m), [&p](artery::SendResult r) { p.set_value(std::move(r)); });
    sent += p.get_future().get().status == artery::SendResult::Status::sent;
  }
  auto elapsed = Clock::now() - start;
  CHECK(sent == n);
  std::cout << "mllp destination -> source, lock-step: " << static_cast<long>(per_second(n, elapsed))
            << " msg/s\n";
}

TEST_CASE("bench: 50 connections in parallel", "[.][bench]") {
  auto settings = loopback_settings();
  settings.threads = 2;
  RunningSource server(settings, [](const artery::Message&) { return artery::Disposition{}; });
  const int connections = 50, each = 1000;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> acked{0};
  for (int t = 0; t < connections; ++t)
    threads.emplace_back([&, t] {
      Client c(server.port());
      for (int i = 0; i < each; ++i) {
        c.send_frame(hl7_message(std::to_string(t) + "-" + std::to_string(i), "", kBody));
        c.read_frame();
        ++acked;
      }
    });
  for (auto& t : threads) t.join();
  auto elapsed = Clock::now() - start;
  CHECK(acked == connections * each);
  std::cout << "mllp source, " << connections << " connections: "
            << static_cast<long>(per_second(connections * each, elapsed)) << " msg/s\n";
}
