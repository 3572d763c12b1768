// router.route() records routes in the script context (channel scripts only),
// and a destination with `after:` sees ctx.responses / ctx.states.
#include "lua_script_file.hpp"
#include "lua/script.hpp"
#include "runtime/router_destination.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <unistd.h>

using namespace artery;
using namespace artery::lua;
using artery::testing::load;
using artery::testing::ScriptFile;

namespace {


const char* kAdt = "MSH|^~\\&|A|B|C|D|20261121||ADT^A01|X1|P|2.5\rPID|1||42\r";

}  // namespace

TEST_CASE("lua router: route() records strings, tables and messages, in order", "[lua][routing]") {
  ScriptFile file(R"(local M = {}
function M.transform(msg, ctx)
  router.route("archive", msg)
  router.route("lab", {patient = msg:get("PID-3.1")})
  router.route("audit", "seen " .. msg:get("MSH-10"))
end
return M
)");
  auto script = load(file);
  ScriptContext context;
  context.channel = "intake";
  auto result = script->process({kAdt, data_type::hl7v2}, context);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(context.routes.size() == 3);
  CHECK(context.routes[0].channel == "archive");
  CHECK(context.routes[0].content == kAdt);
  CHECK(context.routes[1].content == R"({"patient":"42"})");
  CHECK(context.routes[2].content == "seen X1");

  // What the router delivery stores and later sends: the same routes back.
  auto decoded = decode_routes(encode_routes(context.routes));
  REQUIRE(decoded);
  REQUIRE(decoded->size() == 3);
  CHECK((*decoded)[0].content == kAdt);
  CHECK((*decoded)[2].channel == "audit");
  CHECK_FALSE(decode_routes("not json"));
}

TEST_CASE("lua router: only a channel script may route, and a payload must be sendable", "[lua][routing]") {
  ScriptFile file(R"(local M = {}
function M.transform(msg, ctx)
  if ctx.vars.bad then router.route("x", function() end) end
  router.route("archive", msg)
end
return M
)");
  auto script = load(file);
  ScriptContext destination;
  destination.channel = "intake";
  destination.destination = "files";  // a destination script: its routes could not be stored with the message
  auto result = script->process({kAdt, data_type::hl7v2}, destination);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("router.route is only available in a channel script") != std::string::npos);
  CHECK(destination.routes.empty());

  ScriptContext bad;
  bad.vars["bad"] = "1";
  result = script->process({kAdt, data_type::hl7v2}, bad);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("the payload must be a string, a table (sent as JSON) or a message, got function") !=
        std::string::npos);
  CHECK(bad.routes.empty());  // a failed call routes nothing
}

TEST_CASE("lua: a destination with after: reads ctx.responses and ctx.states", "[lua][chained]") {
  ScriptFile file(R"(local M = {}
function M.transform(msg, ctx)
  return ctx.responses.lookup .. "/" .. ctx.states.lookup .. "/" .. tostring(ctx.responses.missing)
end
return M
)");
  auto script = load(file);
  ScriptContext context;
  context.destination = "notify";
  context.responses["lookup"] = "found";
  context.states["lookup"] = "SENT";
  auto result = script->process({"hello", data_type::text}, context);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK(result.payload == "found/SENT/nil");
}
