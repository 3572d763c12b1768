// Script runtime: the hl7, json, xml, crypto and uuid modules on real samples.
#include "lua_script_file.hpp"
#include "lua/script.hpp"

#include <artery/hl7.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace artery;
using namespace artery::lua;
using artery::testing::load;
using artery::testing::ScriptFile;

namespace {

std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(ARTERY_FIXTURES) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}


const char* kSample = "samples/hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7";

}  // namespace

TEST_CASE("lua hl7: get, segments, indexing and proxies on a real ORU") {
  ScriptFile file(R"(
local M = {}
function M.transform(msg, ctx)
  local out = {}
  out.type = msg:type()
  out.control = msg:control_id()
  out.trigger = msg:get("MSH-9.2")
  out.family = msg:get("PID-5.1")
  out.given = tostring(msg.PID[5][2])
  out.sex = msg.PID[8]:value()
  out.obx_count = msg:count("OBX")
  local obx = msg:segments("OBX")[1]
  out.obx_name = obx:name()
  out.obx_code = obx:get("3.1")
  out.obx_units = tostring(obx[6])
  out.flag_eq = msg.OBX[8] == msg:segments("OBX")[1][8]
  out.concat = "sex=" .. msg.PID[8]
  out.absent = tostring(msg.ZZZ)
  out.empty = msg:get("PID-30")
  return out
end
return M)");
  auto script = load(file);
  ScriptContext ctx;
  const std::string sample = read_fixture(kSample);
  REQUIRE_FALSE(sample.empty());
  auto result = script->process({sample, data_type::hl7v2}, ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK(*result.payload ==
        R"({"absent":"nil","concat":"sex=F","control":"CNTRL-3456","empty":"","family":"EVERYWOMAN",)"
        R"("flag_eq":true,"given":"EVE","obx_code":"1554-5","obx_count":1,"obx_name":"OBX","obx_units":"mg/dl",)"
        R"("sex":"F","trigger":"R01","type":"ORU^R01"})");
}

TEST_CASE("lua hl7: set, add and remove segments re-encode the message when transform returns nil") {
  ScriptFile file(R"(
local M = {}
function M.transform(msg, ctx)
  if ctx.vars.mode == "untouched" then return nil end
  msg:set("PID-5.1", "SMITH")
  msg.PID[5][2] = "JANE"
  msg:add_segment("NTE|1||checked by artery")
  msg:remove_segment("OBR")
  ctx.vars.family = msg:get("PID-5.1")
end
return M)");
  auto script = load(file);
  const std::string sample = read_fixture(kSample);
  ScriptContext ctx;
  ctx.vars["mode"] = "untouched";
  auto result = script->process({sample, data_type::hl7v2}, ctx);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK_FALSE(result.payload);

  ctx.vars.clear();
  result = script->process({sample, data_type::hl7v2}, ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(result.payload);
  CHECK(ctx.vars["family"] == "SMITH");
  auto reparsed = hl7::Message::parse(*result.payload);
  REQUIRE(reparsed);
  CHECK(reparsed->get("PID-5.1") == "SMITH");
  CHECK(reparsed->get("PID-5.2") == "JANE");
  CHECK(reparsed->count("OBR") == 0);
  CHECK(reparsed->count("NTE") == 1);
  CHECK(reparsed->get("NTE-3") == "checked by artery");
  CHECK(reparsed->get("OBX-3.1") == "1554-5");
}

TEST_CASE("lua hl7: unparseable input fails with the HL7 parse error prefix") {
  ScriptFile file("local M = {}\nfunction M.transform(msg) return 'x' end\nreturn M");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process({"this is not hl7", data_type::hl7v2}, ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.rfind("HL7 parse error:", 0) == 0);
}

TEST_CASE("lua hl7: the hl7 module parses, acks and escapes") {
  ScriptFile file(R"(
local M = {}
function M.transform(text, ctx)
  local msg = assert(hl7.parse(text))
  local bad, err = hl7.parse("garbage")
  local ack = hl7.parse(hl7.ack(msg, "AE", "bad glucose"))
  return table.concat({ tostring(bad), tostring(err:find("^HL7 parse error:") ~= nil), ack:get("MSA-1"),
    ack:get("MSA-2"), hl7.escape("a|b^c"), hl7.unescape("a\\F\\b"),
    tostring(hl7.build({"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5", "PID|1||42"}):get("PID-3")) }, ";")
end
return M)");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process({read_fixture(kSample), data_type::text}, ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK(*result.payload == "nil;true;AE;CNTRL-3456;a\\F\\b\\S\\c;a|b;42");
}

TEST_CASE("lua json: round trip with nested arrays, objects, unicode and null") {
  ScriptFile file(R"(
local M = {}
function M.transform(value, ctx)
  assert(json.encode(json.decode('[1,{"a":[]},"\\u00e9"]')) == '[1,{"a":[]},"\195\169"]')
  assert(value.name == "Zoë ✓")
  assert(value.items[1].tags[2] == "b")
  assert(value.nothing == json.null)
  assert(#value.list == 0)
  local bad, err = json.decode("{oops")
  assert(bad == nil and err)
  ctx.vars.pretty = json.encode({a = {1, 2}}, {pretty = true})
  return json.encode(value)
end
return M)");
  auto script = load(file);
  ScriptContext ctx;
  const std::string input =
      R"({"name":"Zoë ✓","items":[{"id":1,"tags":["a","b"]},{"id":2.5,"tags":[]}],"list":[],"empty":{},)"
      R"("nothing":null,"flag":false,"quote":"say \"hi\"\n"})";
  auto result = script->process({input, data_type::json}, ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK(*result.payload ==
        R"({"empty":{},"flag":false,"items":[{"id":1,"tags":["a","b"]},{"id":2.5,"tags":[]}],"list":[],)"
        R"("name":"Zoë ✓","nothing":null,"quote":"say \"hi\"\n"})");
  CHECK(ctx.vars["pretty"] == "{\n  \"a\": [\n    1,\n    2\n  ]\n}");
}

TEST_CASE("lua json: unencodable values and bad input are errors") {
  ScriptFile file(R"(
local M = {}
function M.transform(text, ctx)
  if text == "cycle" then local t = {} t.self = t return json.encode(t) end
  if text == "function" then return json.encode({f = print}) end
  return "unreachable"
end
return M)");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process({"cycle", data_type::text}, ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("nested too deep") != std::string::npos);
  result = script->process({"function", data_type::text}, ctx);
  CHECK(result.error.find("cannot encode a function") != std::string::npos);
  result = script->process({"{not json", data_type::json}, ctx);
  CHECK(result.error.rfind("JSON parse error:", 0) == 0);
}

TEST_CASE("lua xml: parse, navigate, modify and serialize a SystmOne response") {
  ScriptFile file(R"(
local M = {}
function M.transform(doc, ctx)
  local root = doc:root()
  ctx.vars.root = root:name()
  ctx.vars.children = #root:children()
  local added = root:append("ArteryNote")
  added:set_text("a < b")
  added:set_attr("source", "lua")
  ctx.vars.note = root:child("ArteryNote"):attr("source")
  ctx.vars.raw = xml.encode(xml.parse("<a><b x='1'>t</b></a>"), {raw = true})
  ctx.vars.path = xml.parse("<a><b><c>deep</c></b></a>"):path("a/b/c"):text()
  ctx.vars.escaped = xml.escape("<&>")
end
return M)");
  auto script = load(file);
  ScriptContext ctx;
  const std::string input = read_fixture("samples/systemone/response_GetPatientRecord_demographics_kcl.xml");
  REQUIRE_FALSE(input.empty());
  auto result = script->process({input, data_type::xml}, ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  REQUIRE(result.payload);
  CHECK(result.payload->find("<ArteryNote source=\"lua\">a &lt; b</ArteryNote>") != std::string::npos);
  CHECK_FALSE(ctx.vars["root"].empty());
  CHECK(ctx.vars["note"] == "lua");
  CHECK(ctx.vars["raw"] == "<a><b x=\"1\">t</b></a>");
  CHECK(ctx.vars["path"] == "deep");
  CHECK(ctx.vars["escaped"] == "&lt;&amp;&gt;");
}

TEST_CASE("lua xml: DOCTYPE and malformed documents are refused") {
  ScriptFile file(R"(
local M = {}
function M.transform(text, ctx)
  local doc, err = xml.parse(text)
  return tostring(doc) .. "|" .. tostring(err)
end
return M)");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process(
      {R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>)", data_type::text},
      ctx);
  CHECK(*result.payload == "nil|DOCTYPE declarations are not allowed");
  result = script->process({"<a><b></a>", data_type::text}, ctx);
  CHECK(result.payload->rfind("nil|", 0) == 0);
  result = script->process({"<!DOCTYPE r><r/>", data_type::xml}, ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error == "XML parse error: DOCTYPE declarations are not allowed");
}

TEST_CASE("lua crypto and uuid") {
  ScriptFile file(R"(
local M = {}
function M.transform(text, ctx)
  return table.concat({ crypto.sha256("abc"), crypto.hmac_sha256("key", "The quick brown fox jumps over the lazy dog"),
    crypto.base64_encode("hello!?"), crypto.base64_decode("aGVsbG8hPw=="), tostring(#crypto.random_bytes(16)),
    tostring(uuid.v4():match("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$") ~= nil), tostring(uuid.v4() ~= uuid.v4()) }, ";")
end
return M)");
  auto script = load(file);
  ScriptContext ctx;
  auto result = script->process({"", data_type::text}, ctx);
  INFO(result.error);
  CHECK(*result.payload ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad;"
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8;aGVsbG8hPw==;hello!?;16;true;true");
}

TEST_CASE("lua hl7: returning msg re-encodes it, a filter-only change is kept") {
  ScriptFile returning("local M = {}\nfunction M.transform(msg) return msg end\nreturn M");
  ScriptFile filtering(
      "local M = {}\nfunction M.filter(msg) msg:set('PID-8', 'M') return true end\nreturn M");
  const std::string sample = read_fixture(kSample);
  ScriptContext ctx;
  auto result = load(returning)->process({sample, data_type::hl7v2}, ctx);
  REQUIRE(result.payload);
  CHECK(*result.payload == sample);  // unchanged: byte for byte
  result = load(filtering)->process({sample, data_type::hl7v2}, ctx);
  REQUIRE(result.payload);
  CHECK(hl7::Message::parse(*result.payload)->get("PID-8") == "M");
}

TEST_CASE("lua hl7: bad paths are script errors, not crashes") {
  ScriptFile file("local M = {}\nfunction M.transform(msg) return msg:get('not a path!') end\nreturn M");
  ScriptContext ctx;
  auto result = load(file)->process({read_fixture(kSample), data_type::hl7v2}, ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("bad HL7 path") != std::string::npos);
}
