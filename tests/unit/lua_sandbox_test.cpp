// Script runtime: sandbox, limits, errors, return conventions, ctx.
#include "lua/script.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <unistd.h>

using namespace artery;
using namespace artery::lua;

namespace {

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    path = std::filesystem::temp_directory_path() / ("artery_lua_sandbox_" + std::to_string(::getpid()) + "_" +
                                                      std::to_string(counter()++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    auto file = path / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
};

struct MapServices : ScriptServices {
  std::map<std::string, std::string> values;
  std::vector<std::string> lines;
  std::optional<std::string> store_get(std::string_view key) override {
    auto it = values.find(std::string(key));
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  void store_put(std::string_view key, std::string_view value) override { values[std::string(key)] = value; }
  void store_erase(std::string_view key) override { values.erase(std::string(key)); }
  std::vector<std::string> store_keys(std::string_view prefix) override {
    std::vector<std::string> keys;
    for (auto& [k, v] : values)
      if (k.rfind(prefix, 0) == 0) keys.push_back(k);
    return keys;
  }
  void log(LogLevel level, std::string_view text) override { lines.emplace_back(text); }
};

std::unique_ptr<Script> load_text(const ScratchDir& dir, const std::string& text, Script::Options options = {}) {
  options.file = dir.write("script.lua", text);
  std::string error;
  auto script = Script::load(options, error);
  INFO(error);
  REQUIRE(script);
  return script;
}

ScriptResult run_text(Script& script, std::string_view content, ScriptContext& ctx) {
  return script.process({content, data_type::text}, ctx);
}

}  // namespace

TEST_CASE("lua: a script must return a table and load refuses bad scripts") {
  ScratchDir dir;
  std::string error;
  Script::Options options;
  options.file = dir.write("bad.lua", "return 42");
  CHECK_FALSE(Script::load(options, error));
  CHECK(error.find("must return a table") != std::string::npos);
  options.file = dir.write("syntax.lua", "local M = {\nreturn M");
  CHECK_FALSE(Script::load(options, error));
  CHECK(error.find("syntax.lua:2") != std::string::npos);
  options.file = dir.path / "missing.lua";
  CHECK_FALSE(Script::load(options, error));
  CHECK(error.find("cannot read script") != std::string::npos);
}

TEST_CASE("lua: has() reports the functions a script defines") {
  ScratchDir dir;
  auto script = load_text(dir, "local M = {}\nfunction M.filter() return true end\nreturn M");
  CHECK(script->has("filter"));
  CHECK_FALSE(script->has("transform"));
  CHECK_FALSE(script->has("send"));
}

TEST_CASE("lua: sandbox refuses escapes") {
  ScratchDir dir;
  auto script = load_text(dir, R"(
local M = {}
function M.transform(msg, ctx)
  local checks = {}
  checks.os_execute = os.execute == nil
  checks.os_remove = os.remove == nil and os.exit == nil and os.getenv == nil and os.rename == nil
  checks.io = io == nil
  checks.debug = debug == nil
  checks.package = package == nil
  checks.dofile = dofile == nil and loadfile == nil
  checks.os_time = type(os.time()) == "number" and type(os.date("%Y")) == "string"
  local f, err = load(string.dump(function() return 1 end))
  checks.binary = f == nil and err:find("binary") ~= nil
  checks.text_load = load("return 1 + 1")() == 2
  checks.require_missing = not pcall(require, "no_such_module")
  checks.require_escape = not pcall(require, "../secret")
  checks.gc_stop = not pcall(collectgarbage, "stop")
  checks.gc_count = type(collectgarbage("count")) == "number"
  for k, v in pairs(checks) do if not v then return "failed: " .. k end end
  return "ok"
end
return M)");
  ScriptContext ctx;
  auto result = run_text(*script, "x", ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK(result.payload == "ok");
}

TEST_CASE("lua: calling a removed function fails that message with a clear error") {
  ScratchDir dir;
  auto script = load_text(dir, "local M = {}\nfunction M.transform() os.execute('true') end\nreturn M");
  ScriptContext ctx;
  auto result = run_text(*script, "x", ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("execute") != std::string::npos);
}

TEST_CASE("lua: the instruction limit fails that call and the next call works") {
  ScratchDir dir;
  Script::Options options;
  options.limits.instructions = 1'000'000;
  auto script = load_text(dir, R"(
local M = {}
function M.transform(msg, ctx)
  if msg == "spin" then while true do end end
  if msg == "sneaky" then while true do pcall(function() while true do end end) end end
  if msg == "coroutine" then
    local co = coroutine.wrap(function() while true do end end)
    co()
  end
  return "done:" .. msg
end
return M)",
                          options);
  ScriptContext ctx;
  auto result = run_text(*script, "spin", ctx);
  INFO(result.error);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("instruction limit exceeded") != std::string::npos);
  result = run_text(*script, "sneaky", ctx);  // catching the error does not keep it alive
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("instruction limit exceeded") != std::string::npos);
  result = run_text(*script, "coroutine", ctx);  // hooks reach coroutines too
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("instruction limit exceeded") != std::string::npos);
  result = run_text(*script, "fine", ctx);
  CHECK(result.status == ScriptResult::Status::ok);
  CHECK(result.payload == "done:fine");
}

TEST_CASE("lua: the memory limit fails that call and the next call works") {
  ScratchDir dir;
  Script::Options options;
  options.limits.memory_bytes = 8u << 20;
  auto script = load_text(dir, R"(
local M = {}
function M.transform(msg, ctx)
  if msg == "table" then
    local t = {}
    for i = 1, 1e9 do t[i] = tostring(i) .. "padding-padding" end
  elseif msg == "string" then
    local s = "x"
    while true do s = s .. s end
  end
  local t = {}
  for i = 1, 1000 do t[i] = i end
  return "ok:" .. #t
end
return M)",
                          options);
  ScriptContext ctx;
  for (const char* kind : {"table", "string"}) {
    auto result = run_text(*script, kind, ctx);
    CHECK(result.status == ScriptResult::Status::error);
    CHECK(result.error.find("not enough memory") != std::string::npos);
    result = run_text(*script, "fine", ctx);
    INFO(result.error);
    CHECK(result.status == ScriptResult::Status::ok);
    CHECK(result.payload == "ok:1000");
  }
}

TEST_CASE("lua: a throwing script returns the message and a traceback naming the function and line") {
  ScratchDir dir;
  auto script = load_text(dir, "local M = {}\n\nlocal function check_patient(id)\n  error('no patient ' .. id)\nend\n\n"
                               "function M.transform(msg, ctx)\n  check_patient(msg)\nend\nreturn M");
  ScriptContext ctx;
  ctx.vars["kept"] = "yes";
  auto result = run_text(*script, "P1", ctx);
  REQUIRE(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("script.lua:4: no patient P1") != std::string::npos);
  CHECK(result.error.find("stack traceback:") != std::string::npos);
  CHECK(result.error.find("check_patient") != std::string::npos);
  CHECK(result.error.find("script.lua:8") != std::string::npos);
  CHECK(result.error.find("transform") != std::string::npos);
  CHECK(ctx.vars == std::map<std::string, std::string>{{"kept", "yes"}});
}

TEST_CASE("lua: ctx.vars and ctx.response are copied back") {
  ScratchDir dir;
  auto script = load_text(dir, R"(
local M = {}
function M.transform(msg, ctx)
  ctx.vars.count = 3
  ctx.vars.flag = true
  ctx.vars.name = "eve"
  ctx.vars.old = nil
  ctx.vars.channel = ctx.channel .. "/" .. ctx.destination
  ctx.response = "custom answer"
end
return M)");
  ScriptContext ctx;
  ctx.channel = "lab";
  ctx.destination = "files";
  ctx.vars["old"] = "gone";
  auto result = run_text(*script, "x", ctx);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK_FALSE(result.payload);
  CHECK(ctx.vars == std::map<std::string, std::string>{
                        {"count", "3"}, {"flag", "true"}, {"name", "eve"}, {"channel", "lab/files"}});
  CHECK(ctx.response == "custom answer");
}

TEST_CASE("lua: a table in ctx.vars is an error") {
  ScratchDir dir;
  auto script = load_text(dir, "local M = {}\nfunction M.transform(msg, ctx) ctx.vars.x = {} end\nreturn M");
  ScriptContext ctx;
  auto result = run_text(*script, "x", ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("ctx.vars value x must be a string") != std::string::npos);
}

TEST_CASE("lua: ctx.store goes through ScriptServices") {
  ScratchDir dir;
  MapServices services;
  services.values["seen:1"] = "a";
  Script::Options options;
  options.services = &services;
  auto script = load_text(dir, R"(
local M = {}
function M.transform(msg, ctx)
  local before = ctx.store.get("seen:1")
  ctx.store.set("seen:2", "b")
  ctx.store:set("other", "c")
  ctx.store.delete("seen:1")
  local keys = ctx.store.keys("seen:")
  log.info("keys", #keys)
  print("printed")
  local ok, err = pcall(ctx.store.set, "t", {})
  return before .. "|" .. table.concat(keys, ",") .. "|" .. tostring(ctx.store.get("nope")) .. "|" .. tostring(ok)
end
return M)",
                          options);
  ScriptContext ctx;
  auto result = run_text(*script, "x", ctx);
  INFO(result.error);
  REQUIRE(result.status == ScriptResult::Status::ok);
  CHECK(result.payload == "a|seen:2|nil|false");
  CHECK(services.values == std::map<std::string, std::string>{{"seen:2", "b"}, {"other", "c"}});
  CHECK(services.lines == std::vector<std::string>{"keys 1", "printed"});
}

TEST_CASE("lua: without services ctx.store errors") {
  ScratchDir dir;
  auto script = load_text(dir, "local M = {}\nfunction M.transform(msg, ctx) ctx.store.get('k') end\nreturn M");
  ScriptContext ctx;
  auto result = run_text(*script, "x", ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("ctx.store is not available") != std::string::npos);
}

TEST_CASE("lua: filter false or nil drops, true keeps, filter-only scripts work") {
  ScratchDir dir;
  auto script = load_text(dir, R"(
local M = {}
function M.filter(msg, ctx)
  ctx.vars.seen = msg
  if msg == "keep" then return true end
  if msg == "drop" then return false end
end
return M)");
  ScriptContext ctx;
  auto result = run_text(*script, "keep", ctx);
  CHECK(result.status == ScriptResult::Status::ok);
  CHECK_FALSE(result.payload);
  result = run_text(*script, "drop", ctx);
  CHECK(result.status == ScriptResult::Status::filtered);
  CHECK(ctx.vars["seen"] == "drop");
  result = run_text(*script, "other", ctx);
  CHECK(result.status == ScriptResult::Status::filtered);
}

TEST_CASE("lua: transform return conventions") {
  ScratchDir dir;
  auto script = load_text(dir, R"(
local M = {}
function M.transform(msg, ctx)
  if msg == "table" then return { name = "eve", list = {1, 2, 3}, empty = {} } end
  if msg == "string" then return "new payload" end
  if msg == "number" then return 42 end
end
return M)");
  ScriptContext ctx;
  auto result = run_text(*script, "table", ctx);
  CHECK(result.payload == R"({"empty":[],"list":[1,2,3],"name":"eve"})");
  result = run_text(*script, "string", ctx);
  CHECK(result.payload == "new payload");
  result = run_text(*script, "nil", ctx);
  CHECK(result.status == ScriptResult::Status::ok);
  CHECK_FALSE(result.payload);
  result = run_text(*script, "number", ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("transform returned a number") != std::string::npos);
}

TEST_CASE("lua: response and send") {
  ScratchDir dir;
  auto script = load_text(dir, R"(
local M = {}
function M.response(resp, ctx)
  if resp:find("AE") then return "rewritten" end
end
function M.send(msg, ctx)
  if msg == "fail" then error("peer down") end
  return "sent " .. msg
end
return M)");
  ScriptContext ctx;
  auto result = script->response({"MSA|AE", data_type::text}, ctx);
  CHECK(result.payload == "rewritten");
  result = script->response({"MSA|AA", data_type::text}, ctx);
  CHECK_FALSE(result.payload);
  result = script->send({"hello", data_type::text}, ctx);
  CHECK(result.payload == "sent hello");
  result = script->send({"fail", data_type::text}, ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error.find("peer down") != std::string::npos);
}

TEST_CASE("lua: require finds modules in module_paths, text only, once") {
  ScratchDir dir;
  dir.write("lib/greet.lua", "loads = (loads or 0) + 1\nreturn { hello = function(n) return 'hello ' .. n end }");
  dir.write("lib/util/init.lua", "return { twice = function(x) return x * 2 end }");
  Script::Options options;
  options.module_paths = {dir.path / "lib"};
  auto script = load_text(dir, R"(
local greet = require("greet")
local again = require("greet")
local util = require("util")
local M = {}
function M.transform(msg, ctx)
  return greet.hello(msg) .. " " .. util.twice(21) .. " " .. loads .. " " .. tostring(greet == again)
    .. " " .. tostring(require("json") == json)
end
return M)",
                          options);
  ScriptContext ctx;
  auto result = run_text(*script, "eve", ctx);
  INFO(result.error);
  CHECK(result.payload == "hello eve 42 1 true true");
}

TEST_CASE("lua: fs is confined to its roots") {
  ScratchDir dir;
  ScratchDir outside;
  outside.write("secret.txt", "top secret");
  std::filesystem::create_directories(dir.path / "data");
  std::filesystem::create_symlink(outside.path, dir.path / "data" / "link");
  Script::Options options;
  options.fs_roots = {dir.path / "data"};
  auto script = load_text(dir, R"(
local M = {}
function M.transform(msg, ctx)
  if msg == "dotdot" then return fs.read("../script.lua") end
  if msg == "symlink" then return fs.read("link/secret.txt") end
  if msg == "absolute" then return fs.read("/etc/passwd") end
  assert(fs.mkdir("out/deep"))
  assert(fs.write("out/deep/a.txt", "one"))
  assert(fs.append("out/deep/a.txt", "+two"))
  local missing, err = fs.read("nope.txt")
  assert(missing == nil and err:find("cannot open"))
  local listed = table.concat(fs.list("out/deep"), ",")
  local text = fs.read("out/deep/a.txt")
  local existed = fs.exists("out/deep/a.txt")
  assert(fs.remove("out/deep/a.txt"))
  return text .. "|" .. listed .. "|" .. tostring(existed) .. "|" .. tostring(fs.exists("out/deep/a.txt"))
end
return M)",
                          options);
  ScriptContext ctx;
  auto result = run_text(*script, "ok", ctx);
  INFO(result.error);
  CHECK(result.payload == "one+two|a.txt|true|false");
  for (const char* escape : {"dotdot", "symlink", "absolute"}) {
    result = run_text(*script, escape, ctx);
    CHECK(result.status == ScriptResult::Status::error);
    CHECK(result.error.find("fs: path outside allowed directories") != std::string::npos);
  }
}

TEST_CASE("lua: without fs_roots there is no fs module") {
  ScratchDir dir;
  auto script = load_text(dir, "local M = {}\nfunction M.transform() return tostring(fs) end\nreturn M");
  ScriptContext ctx;
  CHECK(run_text(*script, "x", ctx).payload == "nil");
}

TEST_CASE("lua: limits apply while the script file loads") {
  ScratchDir dir;
  Script::Options options;
  options.limits.instructions = 100'000;
  options.file = dir.write("spin.lua", "while true do end\nreturn {}");
  std::string error;
  CHECK_FALSE(Script::load(options, error));
  CHECK(error.find("instruction limit exceeded") != std::string::npos);
  options.limits.instructions = 1'000'000'000;
  options.limits.memory_bytes = 4u << 20;
  options.file = dir.write("hog.lua", "local t = {}\nfor i = 1, 1e8 do t[i] = i end\nreturn {}");
  CHECK_FALSE(Script::load(options, error));
  CHECK(error.find("not enough memory") != std::string::npos);
}

TEST_CASE("lua: send without a send function is a failed send") {
  ScratchDir dir;
  auto script = load_text(dir, "return {}");
  ScriptContext ctx;
  auto result = script->send({"x", data_type::text}, ctx);
  CHECK(result.status == ScriptResult::Status::error);
  CHECK(result.error == "the script has no send function");
  CHECK(script->process({"x", data_type::text}, ctx).status == ScriptResult::Status::ok);
}
