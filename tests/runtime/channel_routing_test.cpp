// Routing between channel runtimes with in-memory connectors: what happens
// when a target is not running yet (retried, then delivered), when a script
// routes to a channel that does not exist (the router delivery is ERROR,
// "did you mean"), and when the target stores the message as ERROR.
#include "channel_harness.hpp"

#include <map>
#include <set>
#include <shared_mutex>

using namespace artery;
using namespace artery::testing;

namespace {

// The Engine's directory, over the runtimes a test registers.
class TestDirectory final : public ChannelDirectory {
 public:
  void add(ChannelRuntime& runtime) {
    std::unique_lock lock(mutex_);
    channels_[runtime.config().name] = &runtime;
  }
  Lookup route(const std::string& name, std::string content, RouteOrigin origin,
               std::function<void(Disposition)> done) override {
    ChannelRuntime* target = nullptr;
    {
      std::shared_lock lock(mutex_);
      auto it = channels_.find(name);
      if (it == channels_.end()) return known_.count(name) ? Lookup::not_running : Lookup::unknown;
      target = it->second;
    }
    if (target->state() != ChannelState::started) return Lookup::not_running;
    Message message;
    message.content = std::move(content);
    target->route_in(std::move(message), std::move(origin), std::move(done));
    return Lookup::submitted;
  }
  std::vector<std::string> names() const override {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out(known_.begin(), known_.end());
    return out;
  }
  void know(const std::string& name) {
    std::unique_lock lock(mutex_);
    known_.insert(name);
  }

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, ChannelRuntime*> channels_;
  std::set<std::string> known_;
};

std::unique_ptr<ChannelRuntime> start_with(ChannelHarness& h, TestDirectory& directory, ChannelConfig config) {
  auto env = h.environment();
  env.channels = &directory;
  auto runtime = std::make_unique<ChannelRuntime>(std::move(config), env);
  std::string error;
  const bool started = runtime->start(error);
  INFO(error);
  REQUIRE(started);
  directory.add(*runtime);
  return runtime;
}

}  // namespace

TEST_CASE("a channel destination retries while its target is not running, then delivers", "[runtime][routing]") {
  ChannelHarness h;
  TestDirectory directory;
  directory.know("later");
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto source = start_with(h, directory,
                           h.load("first", "name: first\nsource:\n  type: memory\n  id: " + src +
                                               "\ndestinations:\n  - name: hop\n    type: channel\n"
                                               "    channel: later\n    retry: {max: 100, initial: 20ms, "
                                               "max_delay: 50ms}\n"));
  auto sent = await(memory_source(src)->submit("hello"));
  REQUIRE(sent.status == Disposition::Status::accepted);
  REQUIRE(eventually([&] { return h.message(sent.message_id).deliveries[0].attempts >= 2; }));
  CHECK(h.message(sent.message_id).deliveries[0].error.find("channel later is not running") != std::string::npos);

  auto target = start_with(h, directory, h.load("later", memory_channel_yaml("later", unique_memory_id("s"), dst)));
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() == 1; }));
  CHECK(memory_destination(dst)->delivered()[0].content == "hello");
  REQUIRE(eventually([&] { return h.message(sent.message_id).state == MessageState::sent; }));
  MessageQuery routed;
  routed.origin_message_id = sent.message_id;
  auto children = h.store().search(routed);
  REQUIRE(children.size() == 1);
  CHECK(children[0].channel == "later");
  CHECK(children[0].origin_channel == "first");
  CHECK(h.message(sent.message_id).deliveries[0].response ==
        "channel later message " + std::to_string(children[0].id) + " (accepted)");
}

TEST_CASE("router.route to an unknown channel fails the router delivery, earlier routes stand", "[runtime][routing]") {
  ChannelHarness h;
  TestDirectory directory;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto target = start_with(h, directory, h.load("archive", memory_channel_yaml("archive", unique_memory_id("s"), dst)));
  h.write_script("dispatch.lua", "local M = {}\nfunction M.transform(msg, ctx)\n  router.route('archive', msg)\n"
                                 "  router.route('archiv', msg)\nend\nreturn M\n");
  directory.know("archive");
  auto source = start_with(h, directory,
                           h.load("dispatch", "name: dispatch\nsource:\n  type: memory\n  id: " + src +
                                                  "\nscript: dispatch.lua\n"));
  auto sent = await(memory_source(src)->submit("hello"));
  REQUIRE(sent.status == Disposition::Status::accepted);
  REQUIRE(eventually([&] { return h.message(sent.message_id).state == MessageState::error; }));
  auto message = h.message(sent.message_id);
  REQUIRE(message.deliveries.size() == 1);
  CHECK(message.deliveries[0].destination == "router");
  CHECK(message.deliveries[0].error.find("route 2 of 2 (archiv): no channel named 'archiv' (did you mean "
                                         "'archive'?)") != std::string::npos);
  // The first route was stored by archive, which delivers it on its own time.
  CHECK(eventually([&] { return memory_destination(dst)->delivered_count() == 1; }));
  CHECK(eventually([&] { return source->destination_counters().at("router").errored == 1; }));
}

TEST_CASE("a message the target stores as ERROR makes the hop a rejected send", "[runtime][routing]") {
  ChannelHarness h;
  TestDirectory directory;
  auto src = unique_memory_id("src");
  h.write_script("fail.lua", "local M = {}\nfunction M.transform(msg, ctx) error('bad ward') end\nreturn M\n");
  auto target = start_with(h, directory,
                           h.load("strict", "name: strict\nsource:\n  type: memory\n  id: " + unique_memory_id("s") +
                                                "\nscript: fail.lua\n"));
  auto source = start_with(h, directory,
                           h.load("first", "name: first\nsource:\n  type: memory\n  id: " + src +
                                               "\ndestinations:\n  - name: hop\n    type: channel\n"
                                               "    channel: strict\n"));
  auto sent = await(memory_source(src)->submit("hello"));
  REQUIRE(eventually([&] { return h.message(sent.message_id).state == MessageState::error; }));
  auto delivery = h.message(sent.message_id).deliveries[0];
  CHECK(delivery.attempts == 1);  // not retried: it would only store another ERROR there
  CHECK(delivery.error.find("rejected: channel strict message ") != std::string::npos);
  CHECK(delivery.error.find("is ERROR: ") != std::string::npos);
}
