// The nats connectors' options: defaults, what is refused (with the channel
// file's line), and the delivery ids and redelivery delays they lead to.
#include "nats_destination.hpp"
#include "nats_options.hpp"
#include "nats_source.hpp"
#include "partitioned_subject.hpp"
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

TEST_CASE("nats partitions: options, the stream's subjects and what is refused", "[nats][options][partitions]") {
  std::string error;
  auto source = read_source_settings(
      options({{"stream", "ADT"}, {"filter_subject", "adt"}, {"partitions", "8"}, {"create", "true"}}), "/tmp", "adt",
      error);
  INFO(error);
  REQUIRE(source);
  CHECK(source->partitions == 8);
  CHECK(source->stream.subjects == std::vector<std::string>{"adt.*"});
  auto destination =
      read_destination_settings(options({{"subject", "adt"}, {"partitions", "8"}, {"stream", "ADT"}, {"create", "true"}}),
                                "/tmp", "adt", "out", error);
  REQUIRE(destination);
  CHECK(destination->partitions == 8);
  CHECK(destination->partition_key == "PID-3.1");
  CHECK(destination->stream_settings.subjects == std::vector<std::string>{"adt.*"});

  CHECK_FALSE(read_source_settings(options({{"stream", "ADT"}, {"partitions", "4"}}), "/tmp", "adt", error));
  CHECK(error.find("partitions needs a filter_subject without wildcards") != std::string::npos);
  CHECK_FALSE(read_source_settings(options({{"stream", "ADT"}, {"filter_subject", "adt.>"}, {"partitions", "4"}}),
                                   "/tmp", "adt", error));
  CHECK(error.find("filter_subject") != std::string::npos);
  CHECK_FALSE(read_source_settings(options({{"stream", "ADT"}, {"filter_subject", "adt"}, {"partitions", "5000"}}),
                                   "/tmp", "adt", error));
  CHECK(error.find("partitions") != std::string::npos);
  CHECK_FALSE(read_destination_settings(options({{"subject", "adt"}, {"partitions", "4"}, {"partition_key", "not a path"}}),
                                        "/tmp", "adt", "out", error));
  CHECK(error.find("partition_key: 'not a path' is neither an HL7 path") != std::string::npos);
  CHECK_FALSE(read_destination_settings(options({{"subject", "adt"}, {"partitions", "4"}, {"partition_key", "${oops"}}),
                                        "/tmp", "adt", "out", error));
  CHECK(error.find("partition_key") != std::string::npos);
}

TEST_CASE("nats partitions: a key's partition is stable, and a message without a key is partition 0",
          "[nats][partitions]") {
  // Fixed values: a node built later must put a patient where the others do.
  CHECK(partition_of("", 16) == 0);
  CHECK(partition_of("anything", 1) == 0);
  CHECK(partition_of("a", 1'000'000'007) == static_cast<int>(0xaf63dc4c8601ec8cull % 1'000'000'007ull));
  std::set<int> used;
  for (int i = 0; i < 200; ++i) {
    const int p = partition_of("PAT" + std::to_string(i), 16);
    CHECK(p >= 0);
    CHECK(p < 16);
    used.insert(p);
  }
  CHECK(used.size() == 16);  // 200 patients reach every partition

  artery::OutboundMessage hl7;
  hl7.data_type = "hl7v2";
  hl7.content = "MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5\rPID|1||12345^^^H^MR||DOE^J\r";
  CHECK(message_key("PID-3.1", hl7) == "12345");
  CHECK(message_key("PID-5.1", hl7) == "DOE");
  CHECK(message_key("PV1-19", hl7).empty());  // no such segment: partition 0
  artery::OutboundMessage json;
  json.data_type = "json";
  json.content = "{}";
  json.vars = {{"source.filename", "ward7.json"}};
  CHECK(message_key("PID-3.1", json).empty());
  CHECK(message_key("${source.filename}", json) == "ward7.json");
  CHECK(message_key("${patient}", json).empty());
  CHECK(partition_subject("artery.cluster.adt", 3) == "artery.cluster.adt.3");
}
