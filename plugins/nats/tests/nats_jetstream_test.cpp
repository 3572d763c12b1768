// The NATS library of the plugin (connection, stream setup, publish, pull
// consumer) and the destination's retry path, against real nats-server
// processes started by the rig (tests/support/nats_cluster.hpp).
#include "jetstream_publisher.hpp"
#include "jetstream_setup.hpp"
#include "nats_destination.hpp"
#include "nats_test_support.hpp"
#include "pull_consumer.hpp"

#include <nats/nats.h>

#include <catch2/catch.hpp>

using namespace artery::nats;
using artery::testing::NatsCluster;
using nats_test::client;
using nats_test::stream_messages;

namespace {

StreamSettings test_stream(const std::string& name, const std::string& subject, int replicas = 1) {
  StreamSettings s;
  s.name = name;
  s.subjects = {subject};
  s.replicas = replicas;
  return s;
}

}  // namespace

TEST_CASE("the rig starts a JetStream server and stops it on demand", "[nats][rig]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  CHECK(nats.running(0));
  auto c = client(nats);
  CHECK(c->connected());
  CHECK(c->connected_url() == nats.url(0));
  nats.stop(0);
  CHECK_FALSE(nats.running(0));
  nats.start(0);
  CHECK(nats.wait_ready());
  // nats.c reconnects on its own once the server is back.
  CHECK(artery::testing::eventually([&] { return c->connected(); }, std::chrono::seconds(10)));
}

TEST_CASE("a republished Nats-Msg-Id is stored once inside the duplicate window", "[nats][jetstream]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  auto c = client(nats);
  std::string error;
  REQUIRE(ensure_stream(*c, test_stream("LAB", "lab.>"), error));
  // ensure_stream again (another start of the same channel) is a no-op.
  REQUIRE(ensure_stream(*c, test_stream("LAB", "lab.>"), error));

  auto first = publish_to_stream(*c, "lab.results", "OBX one", "lab/out/1", {}, "LAB", std::chrono::seconds(5));
  INFO(first.error);
  REQUIRE(first.status == PublishOutcome::Status::stored);
  CHECK_FALSE(first.duplicate);
  CHECK(first.stream == "LAB");
  auto again = publish_to_stream(*c, "lab.results", "OBX one", "lab/out/1", {}, "LAB", std::chrono::seconds(5));
  CHECK(again.status == PublishOutcome::Status::stored);
  CHECK(again.duplicate);
  CHECK(again.sequence == first.sequence);
  CHECK(stream_messages(*c, "LAB") == 1);

  // A subject no stream captures: nothing answers, so it is retried later.
  auto nowhere = publish_to_stream(*c, "elsewhere.x", "x", "id", {}, "", std::chrono::seconds(2));
  CHECK(nowhere.status == PublishOutcome::Status::transient);
  CHECK(nowhere.error.find("no stream captures this subject") != std::string::npos);
}

TEST_CASE("the nats destination's retry of one delivery leaves one copy in the stream", "[nats][destination]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  nats_test::TestContext context("lab", "results");
  std::string error;
  auto destination = create_nats_destination(
      nats_test::options({{"servers", nats.url(0)}, {"subject", "lab.results"}, {"stream", "RESULTS"},
                          {"create", "true"}, {"headers.Lab-Ward", "${ward}"}}),
      context, error);
  INFO(error);
  REQUIRE(destination);
  REQUIRE(destination->start(error));

  artery::OutboundMessage message;
  message.message_id = 7;
  message.content = "MSH|^~\\&|LAB|";
  message.vars["ward"] = "ICU";
  auto send = [&](int attempt) {
    message.attempt = attempt;
    artery::SendResult result;
    destination->send(message, [&](artery::SendResult r) { result = std::move(r); });
    return result;
  };
  auto first = send(1);
  INFO(first.error);
  CHECK(first.status == artery::SendResult::Status::sent);
  CHECK(first.response == "stream RESULTS sequence 1");
  // The engine retries a send whose outcome it did not see (a PubAck lost to a timeout).
  auto retried = send(2);
  CHECK(retried.status == artery::SendResult::Status::sent);
  CHECK(retried.response == "stream RESULTS sequence 1 (duplicate)");

  auto c = client(nats);
  CHECK(stream_messages(*c, "RESULTS") == 1);
  // The stored copy carries its id and the templated header.
  natsMsg* stored = nullptr;
  REQUIRE(js_GetMsg(&stored, c->jetstream(), "RESULTS", 1, nullptr, nullptr) == NATS_OK);
  const char* id = nullptr;
  const char* ward = nullptr;
  natsMsgHeader_Get(stored, "Nats-Msg-Id", &id);
  natsMsgHeader_Get(stored, "Lab-Ward", &ward);
  CHECK(std::string(id ? id : "") == "lab/results/7");
  CHECK(std::string(ward ? ward : "") == "ICU");
  natsMsg_Destroy(stored);

  // A variable the message lacks is the message's problem, not NATS's: rejected.
  message.vars.clear();
  CHECK(send(1).status == artery::SendResult::Status::rejected);
  destination->stop();
}

TEST_CASE("a stopped NATS makes sends retry, and they succeed once it is back", "[nats][destination]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  nats_test::TestContext context("lab", "results");
  std::string error;
  auto destination = create_nats_destination(
      nats_test::options({{"servers", nats.url(0)}, {"subject", "lab.results"}, {"stream", "RESULTS"},
                          {"create", "true"}, {"reconnect_wait", "100ms"}, {"max_reconnect_wait", "200ms"},
                          {"publish_timeout", "1s"}}),
      context, error);
  REQUIRE(destination);
  REQUIRE(destination->start(error));
  artery::OutboundMessage message;
  message.content = "x";
  auto send = [&](std::int64_t id) {
    message.message_id = id;
    artery::SendResult result;
    destination->send(message, [&](artery::SendResult r) { result = std::move(r); });
    return result;
  };
  REQUIRE(send(1).status == artery::SendResult::Status::sent);
  nats.stop(0);
  const auto down = send(2);
  CHECK(down.status == artery::SendResult::Status::retry);
  CHECK_FALSE(down.error.empty());
  nats.start(0);
  REQUIRE(nats.wait_ready());
  CHECK(artery::testing::eventually([&] { return send(2).status == artery::SendResult::Status::sent; },
                                    std::chrono::seconds(15)));
  auto c = client(nats);
  CHECK(stream_messages(*c, "RESULTS") == 2);
  destination->stop();
}

TEST_CASE("plain NATS publish reaches a subscriber (jetstream: false)", "[nats][destination]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  auto c = client(nats);
  natsSubscription* subscription = nullptr;
  REQUIRE(natsConnection_SubscribeSync(&subscription, c->raw(), "alerts.lab") == NATS_OK);
  REQUIRE(natsConnection_Flush(c->raw()) == NATS_OK);

  nats_test::TestContext context("lab", "notify");
  std::string error;
  auto destination = create_nats_destination(
      nats_test::options({{"servers", nats.url(0)}, {"subject", "alerts.${kind}"}, {"jetstream", "false"}}), context,
      error);
  REQUIRE(destination);
  REQUIRE(destination->start(error));
  artery::OutboundMessage message;
  message.message_id = 3;
  message.content = "critical potassium";
  message.vars["kind"] = "lab";
  artery::SendResult result;
  destination->send(message, [&](artery::SendResult r) { result = std::move(r); });
  CHECK(result.status == artery::SendResult::Status::sent);
  natsMsg* got = nullptr;
  REQUIRE(natsSubscription_NextMsg(&got, subscription, 5000) == NATS_OK);
  CHECK(std::string(natsMsg_GetData(got), natsMsg_GetDataLength(got)) == "critical potassium");
  natsMsg_Destroy(got);
  natsSubscription_Destroy(subscription);
  destination->stop();
}

TEST_CASE("wrong credentials are an authorization failure that says what to check", "[nats][auth]") {
  NatsCluster nats(1, "authorization { user: artery, password: right-password }");
  REQUIRE(nats.wait_ready());
  ConnectionSettings settings;
  settings.servers = {nats.url(0)};
  settings.user = "artery";
  settings.password = "wrong-password";
  std::string error;
  NatsConnection::Failure failure = NatsConnection::Failure::none;
  CHECK_FALSE(NatsConnection::open(settings, {}, error, &failure));
  CHECK(failure == NatsConnection::Failure::auth);
  CHECK(error.find("authorization failed") != std::string::npos);
  CHECK(error.find("check user/password") != std::string::npos);
  // open_or_retry does not retry what no retry can fix.
  CHECK_FALSE(NatsConnection::open_or_retry(settings, {}, error));

  settings.password = "right-password";
  CHECK(NatsConnection::open(settings, {}, error));

  settings.servers = {"nats://127.0.0.1:" + std::to_string(artery::testing::free_port())};
  CHECK_FALSE(NatsConnection::open(settings, {}, error, &failure));
  CHECK(failure == NatsConnection::Failure::unreachable);
  auto later = NatsConnection::open_or_retry(settings, {}, error);
  CHECK(later);
  CHECK_FALSE(later->connected());
}

TEST_CASE("a pull consumer fetches, and an unacknowledged message comes back after ack_wait", "[nats][jetstream]") {
  NatsCluster nats(1);
  REQUIRE(nats.wait_ready());
  auto c = client(nats);
  std::string error;
  REQUIRE(ensure_stream(*c, test_stream("IN", "in.>"), error));
  ConsumerSettings consumer;
  consumer.durable = "reader";
  consumer.ack_wait = std::chrono::seconds(1);
  consumer.max_deliver = 3;
  REQUIRE(ensure_consumer(*c, "IN", consumer, error));
  for (int i = 0; i < 3; ++i)
    REQUIRE(publish_to_stream(*c, "in.x", "m" + std::to_string(i), "", {}, "", std::chrono::seconds(5)).status ==
            PublishOutcome::Status::stored);
  auto pull = PullConsumer::bind(*c, "IN", "reader", error);
  INFO(error);
  REQUIRE(pull);
  auto batch = pull->fetch(10, std::chrono::seconds(2), error);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0]->data() == "m0");
  CHECK(batch[0]->deliveries() == 1);
  CHECK(batch[0]->stream() == "IN");
  CHECK(batch[0]->ack().empty());
  CHECK(batch[1]->term().empty());
  batch.clear();  // m2 neither acked nor nak'ed: redelivered after ack_wait
  auto again = pull->fetch(10, std::chrono::seconds(3), error);
  REQUIRE(again.size() == 1);
  CHECK(again[0]->data() == "m2");
  CHECK(again[0]->deliveries() == 2);
  CHECK(again[0]->ack().empty());
  REQUIRE(c->flush(std::chrono::seconds(2), error));
  CHECK(stream_messages(*c, "IN") == 0);  // work queue: acked and terminated are gone
  ConsumerState state;
  REQUIRE(read_consumer_state(*c, "IN", "reader", state, error));
  CHECK(state.ack_pending == 0);
  CHECK(state.pending == 0);

  CHECK_FALSE(consumer_exists(*c, "IN", "nobody", error));
  CHECK(error.find("consumer nobody does not exist on stream IN") != std::string::npos);
  CHECK_FALSE(consumer_exists(*c, "NOPE", "reader", error));
  CHECK(error.find("stream NOPE does not exist") != std::string::npos);
}

TEST_CASE("a 3-server cluster keeps a replicas-3 stream writable when one server dies", "[nats][cluster]") {
  NatsCluster nats(3);
  REQUIRE(nats.wait_ready());
  CHECK_FALSE(nats.meta_leader().empty());
  auto c = client(nats);
  std::string error;
  REQUIRE(ensure_stream(*c, test_stream("HA", "ha.>", 3), error));
  StreamState state;
  REQUIRE(artery::testing::eventually(
      [&] { return read_stream_state(*c, "HA", state, error) && !state.leader.empty(); }, std::chrono::seconds(10)));
  CHECK(state.replicas == 3);
  for (int i = 0; i < 20; ++i)
    REQUIRE(publish_to_stream(*c, "ha.x", "before", "b" + std::to_string(i), {}, "HA", std::chrono::seconds(5))
                .status == PublishOutcome::Status::stored);
  // Kill the stream's leader: the other two elect one and take writes.
  std::size_t leader = 0;
  for (std::size_t i = 0; i < nats.size(); ++i)
    if (nats.name(i) == state.leader) leader = i;
  nats.kill(leader);
  int stored = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string id = "a" + std::to_string(i);
    stored += artery::testing::eventually(
        [&] {
          return publish_to_stream(*c, "ha.x", "after", id, {}, "HA", std::chrono::seconds(2)).status ==
                 PublishOutcome::Status::stored;
        },
        std::chrono::seconds(20));
  }
  CHECK(stored == 20);
  CHECK(artery::testing::eventually([&] { return stream_messages(*c, "HA") == 40; }, std::chrono::seconds(10)));
  nats.start(leader);
  CHECK(nats.wait_ready());
}
