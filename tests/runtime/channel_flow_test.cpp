// A message through a whole channel: source, script, store commit, disposition,
// destination; what the store and the counters say at each step.
#include "channel_harness.hpp"

#include <atomic>
#include <set>

using namespace artery;
using namespace artery::testing;

namespace {

const char* kAdt =
    "MSH|^~\\&|SEND|FAC|RECV|FAC|20240101120000||ADT^A01|CTRL-1|P|2.5\r"
    "PID|1||555444222^^^HOSP^MR||EVERYWOMAN^EVE||19700101|F\r";

}  // namespace

TEST_CASE("an accepted message is committed before its disposition, queued, then sent, and counted",
          "[runtime][flow]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  h.write_script("upper.lua", "local M = {}\nfunction M.transform(msg, ctx) return 'T:' .. msg end\nreturn M\n");
  auto runtime = h.start(h.load("flow", memory_channel_yaml("flow", src, dst, "script: upper.lua\n")));

  // In the disposition callback (an engine thread) the row must already be committed.
  std::atomic<int> row_seen{0};
  std::atomic<int> row_state_queued{0};
  memory_source(src)->on_disposition([&](const Disposition& d) {
    if (auto record = h.store().get(d.message_id)) {
      ++row_seen;
      if (record->state == MessageState::queued) ++row_state_queued;
    }
  });
  memory_destination(dst)->hold(true);

  auto d = await(memory_source(src)->submit("hello"));
  CHECK(d.status == Disposition::Status::accepted);
  REQUIRE(d.message_id > 0);
  CHECK(row_seen == 1);
  CHECK(row_state_queued == 1);

  REQUIRE(eventually([&] { return memory_destination(dst)->in_flight(); }));
  auto queued = h.message(d.message_id);
  CHECK(queued.state == MessageState::queued);
  CHECK(queued.raw == "hello");
  CHECK(queued.transformed == "T:hello");
  REQUIRE(queued.deliveries.size() == 1);
  CHECK(queued.deliveries[0].state == MessageState::queued);
  CHECK(runtime->counters().received == 1);
  CHECK(runtime->counters().queued == 1);
  CHECK(runtime->destination_counters().at("out").queued == 1);

  memory_destination(dst)->release({SendResult::Status::sent, "peer-ack", {}});
  REQUIRE(eventually([&] { return h.message(d.message_id).state == MessageState::sent; }));
  auto sent = h.message(d.message_id);
  CHECK(sent.deliveries[0].state == MessageState::sent);
  CHECK(sent.deliveries[0].attempts == 1);
  // Sent unchanged: the sent form is the stored payload, not a second copy.
  CHECK(sent.transformed == "T:hello");
  CHECK(sent.deliveries[0].sent_content.empty());
  CHECK(sent.deliveries[0].response == "peer-ack");
  REQUIRE(memory_destination(dst)->delivered().size() == 1);
  CHECK(memory_destination(dst)->delivered()[0].content == "T:hello");

  REQUIRE(eventually([&] { return runtime->counters().sent == 1; }));
  auto live = runtime->counters();
  CHECK(live.received == 1);
  CHECK(live.queued == 0);
  CHECK(live.filtered == 0);
  CHECK(live.errored == 0);
  auto live_out = runtime->destination_counters().at("out");
  CHECK(live_out.sent == 1);
  CHECK(live_out.queued == 0);

  runtime->stop();
  CHECK(runtime->state() == ChannelState::stopped);
  h.reopen_store();
  auto stored = h.store().counters();
  CHECK(stored["flow"][""].received == 1);
  CHECK(stored["flow"][""].sent == 1);
  CHECK(stored["flow"][""].queued == 0);
  CHECK(stored["flow"]["out"].sent == 1);
  CHECK(stored["flow"]["out"].queued == 0);
}

TEST_CASE("a filter that says false stores FILTERED and answers filtered", "[runtime][flow]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  h.write_script("f.lua",
                 "local M = {}\nfunction M.filter(msg, ctx) ctx.vars.seen = 'yes' return msg ~= 'drop' end\n"
                 "return M\n");
  auto runtime = h.start(h.load("filt", memory_channel_yaml("filt", src, dst, "script: f.lua\n")));

  auto d = await(memory_source(src)->submit("drop"));
  CHECK(d.status == Disposition::Status::filtered);
  auto record = h.message(d.message_id);
  CHECK(record.state == MessageState::filtered);
  CHECK(record.raw == "drop");
  CHECK(record.deliveries.empty());
  CHECK(record.vars_json.find("\"seen\":\"yes\"") != std::string::npos);
  CHECK(runtime->counters().filtered == 1);
  CHECK(runtime->counters().received == 1);
  CHECK(runtime->counters().queued == 0);

  auto kept = await(memory_source(src)->submit("keep"));
  CHECK(kept.status == Disposition::Status::accepted);
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() >= 1; }));
  // In order: had the filtered message gone out, it would be first.
  CHECK(memory_destination(dst)->delivered()[0].content == "keep");
  CHECK(memory_destination(dst)->attempt_count() == 1);
  REQUIRE(eventually([&] { return runtime->counters().sent == 1; }));
  CHECK(eventually([&] { return runtime->counters().queued == 0; }));
  CHECK(runtime->counters().filtered == 1);
  CHECK(eventually([&] { return runtime->destination_counters().at("out").queued == 0; }));
}

TEST_CASE("a script error stores ERROR with the traceback and answers errored", "[runtime][flow]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  h.write_script("boom.lua",
                 "local M = {}\nlocal function explode(m) error('no patient id in ' .. m) end\n"
                 "function M.transform(msg, ctx) if msg == 'abc' then explode(msg) end end\nreturn M\n");
  auto runtime = h.start(h.load("boom", memory_channel_yaml("boom", src, dst, "script: boom.lua\n")));

  auto d = await(memory_source(src)->submit("abc"));
  CHECK(d.status == Disposition::Status::errored);
  CHECK(d.error.find("no patient id in abc") != std::string::npos);
  auto record = h.message(d.message_id);
  CHECK(record.state == MessageState::error);
  CHECK(record.raw == "abc");
  CHECK(record.error.find("boom.lua:2: no patient id in abc") != std::string::npos);
  CHECK(record.error.find("stack traceback:") != std::string::npos);
  CHECK(record.deliveries.empty());
  CHECK(runtime->counters().errored == 1);

  // Delivery is in order, so once the next message is out, the failed one would have been too.
  auto next = await(memory_source(src)->submit("fine"));
  CHECK(next.status == Disposition::Status::accepted);
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() >= 1; }));
  CHECK(memory_destination(dst)->attempt_count() == 1);
  CHECK(memory_destination(dst)->delivered()[0].content == "fine");
  REQUIRE(eventually([&] { return runtime->counters().sent == 1; }));
  CHECK(eventually([&] { return runtime->counters().queued == 0; }));
  CHECK(eventually([&] { return runtime->destination_counters().at("out").queued == 0; }));
}

TEST_CASE("hl7v2 input that does not parse is rejected, stored as ERROR with its raw bytes", "[runtime][flow]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto yaml = "name: hl7in\nsource:\n  type: memory\n  id: " + src + "\n  data_type: hl7v2\n" +
              "destinations:\n  - name: out\n    type: memory\n    id: " + dst + "\n";
  auto runtime = h.start(h.load("hl7in", yaml));

  const std::string garbage = "this is not HL7 at all\r";
  auto d = await(memory_source(src)->submit(garbage));
  CHECK(d.status == Disposition::Status::rejected);
  CHECK(d.error.rfind("HL7 parse error:", 0) == 0);
  auto record = h.message(d.message_id);
  CHECK(record.state == MessageState::error);
  CHECK(record.raw == garbage);  // kept for reprocessing
  CHECK(record.error.rfind("HL7 parse error:", 0) == 0);
  CHECK(record.deliveries.empty());

  // A good one is indexed by its metadata and delivered as is.
  auto ok = await(memory_source(src)->submit(kAdt));
  CHECK(ok.status == Disposition::Status::accepted);
  auto good = h.message(ok.message_id);
  CHECK(good.raw == kAdt);
  CHECK(good.message_type == "ADT^A01");
  CHECK(good.control_id == "CTRL-1");
  CHECK(good.patient_id == "555444222");
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() == 1; }));
  CHECK(memory_destination(dst)->delivered()[0].content == kAdt);
  CHECK(memory_destination(dst)->delivered()[0].data_type == "hl7v2");
  CHECK(runtime->counters().errored == 1);
  CHECK(runtime->counters().received == 2);
}

TEST_CASE("with one worker a destination receives 1000 messages in arrival order", "[runtime][flow][order]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load("ordered", memory_channel_yaml("ordered", src, dst)));
  constexpr int n = 1000;
  for (int i = 0; i < n; ++i) memory_source(src)->submit("m" + std::to_string(i));
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() == n; }, std::chrono::seconds(120)));
  auto delivered = memory_destination(dst)->delivered();
  for (int i = 0; i < n; ++i) REQUIRE(delivered[i].content == "m" + std::to_string(i));
  // Ids follow arrival order too.
  for (int i = 1; i < n; ++i) REQUIRE(delivered[i].message_id > delivered[i - 1].message_id);
  REQUIRE(eventually([&] { return runtime->counters().sent == n; }));
  CHECK(eventually([&] { return runtime->counters().queued == 0; }));
  CHECK(memory_source(src)->answered() == n);
}

TEST_CASE("workers: 4 processes every message once, in any order", "[runtime][flow][workers]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  h.write_script("w.lua", "local M = {}\nfunction M.transform(msg, ctx) return msg .. '!' end\nreturn M\n");
  auto runtime = h.start(h.load("par", memory_channel_yaml("par", src, dst, "script: w.lua\nworkers: 4\n")));
  constexpr int n = 400;
  std::vector<std::shared_future<Disposition>> answers;
  for (int i = 0; i < n; ++i) answers.push_back(memory_source(src)->submit("p" + std::to_string(i)));
  std::set<std::int64_t> ids;
  for (auto& a : answers) {
    auto d = await(a);
    REQUIRE(d.status == Disposition::Status::accepted);
    ids.insert(d.message_id);
  }
  CHECK(ids.size() == n);
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() == n; }, std::chrono::seconds(120)));
  std::multiset<std::string> contents;
  for (const auto& m : memory_destination(dst)->delivered()) contents.insert(m.content);
  for (int i = 0; i < n; ++i) CHECK(contents.count("p" + std::to_string(i) + "!") == 1);

  MessageQuery all;
  all.channel = "par";
  all.limit = 10 * n;
  auto rows = h.store().search(all);
  CHECK(rows.size() == n);
  std::set<std::string> raws;
  for (const auto& r : rows) raws.insert(r.raw);
  CHECK(raws.size() == n);
  REQUIRE(eventually([&] { return runtime->counters().sent == n; }));
}

TEST_CASE("ctx.store values survive a restart and ctx.response reaches the disposition", "[runtime][flow]") {
  ChannelHarness h;
  auto src = unique_memory_id("src");
  h.write_script("count.lua",
                 "local M = {}\n"
                 "function M.transform(msg, ctx)\n"
                 "  local n = (tonumber(ctx.store.get('count')) or 0) + 1\n"
                 "  ctx.store.set('count', tostring(n))\n"
                 "  ctx.response = 'RESP ' .. n .. ' ' .. msg\n"
                 "end\nreturn M\n");
  auto config = h.load("counter", memory_channel_yaml("counter", src, "", "script: count.lua\n"));
  {
    auto runtime = h.start(config);
    CHECK(await(memory_source(src)->submit("a")).response == "RESP 1 a");
    auto d = await(memory_source(src)->submit("b"));
    CHECK(d.response == "RESP 2 b");
    CHECK(d.status == Disposition::Status::accepted);
    CHECK(h.message(d.message_id).state == MessageState::transformed);  // no destinations
    runtime->stop();
  }
  h.reopen_store();
  CHECK(h.store().get_value("counter", "count") == std::optional<std::string>("2"));
  auto runtime = h.start(config);
  CHECK(await(memory_source(src)->submit("c")).response == "RESP 3 c");
}

TEST_CASE("a stopped channel answers unavailable and stores nothing", "[runtime][flow]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  auto runtime = h.start(h.load("halt", memory_channel_yaml("halt", src, dst)));
  auto before = await(memory_source(src)->submit("x"));
  CHECK(before.status == Disposition::Status::accepted);
  runtime->stop();
  auto after = await(memory_source(src)->submit("y"));
  CHECK(after.status == Disposition::Status::unavailable);
  MessageQuery all;
  all.channel = "halt";
  CHECK(h.store().search(all).size() == 1);
}
