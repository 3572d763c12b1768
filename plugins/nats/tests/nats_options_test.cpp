// The nats connectors' options: defaults, what is refused (with the channel
// file's line), and the delivery ids and redelivery delays they lead to.
#include "nats_destination.hpp"
#include "nats_options.hpp"
#include "nats_source.hpp"
#include "nats_test_support.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace artery::nats;
using nats_test::options;

TEST_CASE("nats source options: defaults and the stream's subjects", "[nats][options]") {
  std::string error;
  auto s = read_source_settings(options({{"stream", "ORDERS"}, {"filter_subject", "orders.>"}, {"create", "true"}}),
                                "/tmp", "lab", error);
  INFO(error);
  REQUIRE(s);
  CHECK(s->connection.servers == std::vector<std::string>{"nats://127.0.0.1:4222"});
  CHECK(s->connection.name == "artery lab/source");
  CHECK(s->consumer.durable == "artery-lab");
  CHECK(s->stream.subjects == std::vector<std::string>{"orders.>"});
  CHECK(s->stream.work_queue);
  CHECK(s->stream.file_storage);
  CHECK(s->consumer.max_deliver == 5);
  CHECK(s->consumer.ack_wait == std::chrono::seconds(30));
  CHECK(s->stream.duplicate_window == std::chrono::minutes(2));
  CHECK(s->data_type == "hl7v2");
}

TEST_CASE("nats options: a bad value names its key and its place in the channel file", "[nats][options]") {
  struct Case {
    std::vector<std::pair<std::string, std::string>> values;
    std::string expected;
  };
  const std::vector<Case> cases{
      {{{"stream", "ORDERS"}, {"servers", "http://x:4222"}}, "chan.yaml:5:5: servers: 'http://x:4222' is not a"},
      {{{"stream", "OR.DERS"}}, "chan.yaml:4:5: stream: 'OR.DERS' may not contain"},
      {{{"stream", "ORDERS"}, {"password", "p"}}, "chan.yaml:5:5: password: needs user"},
      {{{"stream", "ORDERS"}, {"user", "u"}, {"token", "t"}}, "token: choose one way to authenticate"},
      {{{"stream", "ORDERS"}, {"nkey", "UABC"}}, "nkey: needs nkey_seed"},
      {{{"stream", "ORDERS"}, {"create", "true"}}, "subjects: create: true needs the stream's subjects"},
      {{{"stream", "ORDERS"}, {"max_deliver", "0"}}, "chan.yaml:5:5: max_deliver: must be -1 (unlimited) or"},
      {{{"stream", "ORDERS"}, {"ack_wait", "200ms"}}, "ack_wait: must be at least 1s"},
      {{{"stream", "ORDERS"}, {"storage", "disk"}}, "chan.yaml:5:5: storage:"},
      {{{"stream", "ORDERS"}, {"tls.cert", "/etc/hostname"}}, "tls.cert and tls.key go together"},
      {{{"stream", "ORDERS"}, {"reconnect_wait", "10s"}, {"max_reconnect_wait", "1s"}},
       "max_reconnect_wait: must be at least reconnect_wait"},
  };
  for (const auto& c : cases) {
    std::string error;
    auto s = read_source_settings(options(c.values), "/tmp", "lab", error);
    INFO(c.expected << " | got: " << error);
    CHECK_FALSE(s);
    CHECK(error.find(c.expected) != std::string::npos);
  }
}

TEST_CASE("nats destination options: create needs a stream, subjects come from the subject", "[nats][options]") {
  std::string error;
  auto d = read_destination_settings(options({{"subject", "lab.results"}, {"stream", "LAB"}, {"create", "true"},
                                              {"replicas", "3"}}),
                                     "/tmp", "lab", "out", error);
  INFO(error);
  REQUIRE(d);
  CHECK(d->stream_settings.subjects == std::vector<std::string>{"lab.results"});
  CHECK(d->stream_settings.replicas == 3);
  CHECK(d->jetstream);

  CHECK_FALSE(read_destination_settings(options({{"subject", "lab.results"}, {"create", "true"}}), "/tmp", "lab",
                                        "out", error));
  CHECK(error.find("create: needs stream") != std::string::npos);
  CHECK_FALSE(read_destination_settings(options({{"subject", "lab.${ward}"}, {"stream", "LAB"}, {"create", "true"}}),
                                        "/tmp", "lab", "out", error));
  CHECK(error.find("templated subject needs the stream's subjects") != std::string::npos);
  CHECK_FALSE(read_destination_settings(options({{"subject", "lab.${"}}), "/tmp", "lab", "out", error));
  CHECK(error.find("chan.yaml:4:5: subject:") != std::string::npos);
}

TEST_CASE("a delivery's Nats-Msg-Id is the same on every retry and differs per destination", "[nats][options]") {
  std::string error;
  auto d = read_destination_settings(options({{"subject", "lab.results"}}), "/tmp", "lab", "out", error);
  REQUIRE(d);
  artery::OutboundMessage first, retry;
  first.message_id = retry.message_id = 42;
  retry.attempt = 3;
  std::string problem;
  CHECK(delivery_msg_id(*d, "lab", "out", first, problem) == "lab/out/42");
  CHECK(delivery_msg_id(*d, "lab", "out", retry, problem) == "lab/out/42");
  CHECK(delivery_msg_id(*d, "lab", "copy", first, problem) == "lab/copy/42");

  auto templated = read_destination_settings(options({{"subject", "lab.results"}, {"msg_id", "${control_id}"}}),
                                             "/tmp", "lab", "out", error);
  REQUIRE(templated);
  first.vars["control_id"] = "MSG-7";
  CHECK(delivery_msg_id(*templated, "lab", "out", first, problem) == "MSG-7");
  CHECK_FALSE(delivery_msg_id(*templated, "lab", "out", retry, problem));
  CHECK(problem.find("control_id") != std::string::npos);
}

TEST_CASE("a message the engine could not store is redelivered later each time, up to a cap", "[nats][options]") {
  std::string error;
  auto s = read_source_settings(options({{"stream", "S"}, {"nak_delay", "1s"}, {"max_nak_delay", "5s"}}), "/tmp",
                                "lab", error);
  REQUIRE(s);
  CHECK(nak_delay_for(*s, 1) == std::chrono::seconds(1));
  CHECK(nak_delay_for(*s, 2) == std::chrono::seconds(2));
  CHECK(nak_delay_for(*s, 3) == std::chrono::seconds(4));
  CHECK(nak_delay_for(*s, 4) == std::chrono::seconds(5));
  CHECK(nak_delay_for(*s, 400) == std::chrono::seconds(5));
}

TEST_CASE("every nats option has a description, and the README lists each one", "[nats][options]") {
  const std::string readme = artery::testing::read_text(std::string(ARTERY_SOURCE_DIR) + "/plugins/nats/README.md");
  std::set<std::string> keys;
  auto check = [&](const artery::OptionSpec* specs, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      INFO(specs[i].key);
      CHECK(std::string(specs[i].description).size() > 10);
      CHECK(readme.find("| `" + std::string(specs[i].key) + "` |") != std::string::npos);
      CHECK(keys.insert(std::string(specs[i].key) + "@" + std::to_string(reinterpret_cast<std::uintptr_t>(specs)))
                .second);
    }
  };
  check(kSourceOptions, kSourceOptionCount);
  check(kDestinationOptions, kDestinationOptionCount);
}
