// A destination's own script: filter, transform of what is sent, response
// script, and what data type the destination script sees.
#include "channel_harness.hpp"

using namespace artery;
using namespace artery::testing;

TEST_CASE("a destination script filters, transforms what is sent and transforms the stored response",
          "[runtime][destination-script]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  h.write_script("dest.lua",
                 "local M = {}\n"
                 "function M.filter(msg, ctx) return not msg:find('SKIP') end\n"
                 "function M.transform(msg, ctx) ctx.vars.dest = ctx.destination return 'D:' .. msg end\n"
                 "function M.response(resp, ctx) return 'R:' .. resp .. ':' .. ctx.vars.dest end\n"
                 "return M\n");
  auto runtime =
      h.start(h.load("dscript", memory_channel_yaml("dscript", src, dst, "", "    script: dest.lua\n")));
  memory_destination(dst)->respond_with(
      [](const OutboundMessage& m) { return SendResult{SendResult::Status::sent, "ack-" + m.content, {}}; });

  auto skipped = await(memory_source(src)->submit("please SKIP me"));
  auto kept = await(memory_source(src)->submit("keep me"));
  REQUIRE(eventually([&] { return h.message(kept.message_id).state == MessageState::sent; }));

  auto filtered = h.message(skipped.message_id);
  CHECK(filtered.state == MessageState::filtered);
  REQUIRE(filtered.deliveries.size() == 1);
  CHECK(filtered.deliveries[0].state == MessageState::filtered);

  auto sent = h.message(kept.message_id);
  CHECK(sent.deliveries[0].sent_content == "D:keep me");
  CHECK(sent.deliveries[0].response == "R:ack-D:keep me:out");
  REQUIRE(memory_destination(dst)->delivered_count() == 1);  // the filtered one never reached it
  auto out = memory_destination(dst)->delivered()[0];
  CHECK(out.content == "D:keep me");
  CHECK(out.vars.at("dest") == "out");

  REQUIRE(eventually([&] { return runtime->destination_counters().at("out").sent == 1; }));
  CHECK(runtime->destination_counters().at("out").filtered == 1);
  CHECK(eventually([&] { return runtime->destination_counters().at("out").queued == 0; }));
}

TEST_CASE("a table returned by the channel transform reaches the destination script as json",
          "[runtime][destination-script]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  h.write_script("chan.lua",
                 "local M = {}\n"
                 "function M.transform(msg, ctx) ctx.vars.id = 'P7' return { name = msg, n = 3 } end\n"
                 "return M\n");
  h.write_script("dest.lua",
                 "local M = {}\n"
                 "function M.transform(msg, ctx)\n"
                 "  return type(msg) .. ' ' .. msg.name .. ' ' .. math.tointeger(msg.n) .. ' ' .. ctx.vars.id\n"
                 "end\nreturn M\n");
  auto runtime = h.start(
      h.load("tojson", memory_channel_yaml("tojson", src, dst, "script: chan.lua\n", "    script: dest.lua\n")));

  auto d = await(memory_source(src)->submit("eve"));
  REQUIRE(eventually([&] { return memory_destination(dst)->delivered_count() == 1; }));
  auto out = memory_destination(dst)->delivered()[0];
  CHECK(out.content == "table eve 3 P7");
  CHECK(out.data_type == "json");
  auto record = h.message(d.message_id);
  CHECK(record.transformed_type == "json");
  CHECK(record.transformed == R"({"n":3,"name":"eve"})");
}

TEST_CASE("a destination script error is ERROR for that delivery, without retry", "[runtime][destination-script]") {
  ChannelHarness h;
  auto src = unique_memory_id("src"), dst = unique_memory_id("dst");
  h.write_script("bad.lua", "local M = {}\nfunction M.transform(msg, ctx) error('cannot map') end\nreturn M\n");
  auto runtime = h.start(h.load("dbad", memory_channel_yaml("dbad", src, dst, "", "    script: bad.lua\n")));
  auto d = await(memory_source(src)->submit("x"));
  CHECK(d.status == Disposition::Status::accepted);  // stored and queued: the failure comes later
  REQUIRE(eventually([&] { return h.message(d.message_id).state == MessageState::error; }));
  auto record = h.message(d.message_id);
  CHECK(record.deliveries[0].error.find("destination script:") != std::string::npos);
  CHECK(record.deliveries[0].error.find("cannot map") != std::string::npos);
  CHECK(memory_destination(dst)->attempt_count() == 0);
}
