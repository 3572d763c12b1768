// Per-message overhead of Script::process() on a sample ORU^R01:
// (a) an empty transform, (b) a transform reading 5 fields, setting 2 vars and
// returning json.encode of a small table. Prints the median of 5 runs.
#include "lua/script.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace artery;
using namespace artery::lua;

namespace {

double run_once(Script& script, const std::string& message, int iterations) {
  ScriptContext ctx;
  ctx.channel = "bench";
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    ctx.vars.clear();
    ScriptResult result = script.process({message, data_type::hl7v2}, ctx);
    if (result.status != ScriptResult::Status::ok) {
      std::fprintf(stderr, "script failed: %s\n", result.error.c_str());
      std::exit(1);
    }
  }
  const std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / iterations;
}

void bench(const char* name, const std::string& source, const std::string& message) {
  const auto file = std::filesystem::temp_directory_path() / ("artery_bench_lua_" + std::to_string(::getpid()) + ".lua");
  std::ofstream(file) << source;
  Script::Options options;
  options.file = file;
  std::string error;
  auto script = Script::load(options, error);
  std::filesystem::remove(file);
  if (!script) {
    std::fprintf(stderr, "load failed: %s\n", error.c_str());
    std::exit(1);
  }
  constexpr int kIterations = 20000;
  run_once(*script, message, 2000);  // warm up
  std::vector<double> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(run_once(*script, message, kIterations));
  std::sort(runs.begin(), runs.end());
  std::printf("%-44s %8.2f us/message (median of 5 x %d; min %.2f, max %.2f)\n", name, runs[2], kIterations, runs[0],
              runs[4]);
}

}  // namespace

int main() {
  std::ifstream in(std::string(ARTERY_FIXTURES) + "/samples/hl7v2/oru_r01_v24_ms_glucose_sn_tz.hl7", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  const std::string message = text.str();
  if (message.empty()) {
    std::fprintf(stderr, "sample not found\n");
    return 1;
  }
  bench("empty transform (parse + call)", "local M = {}\nfunction M.transform(msg, ctx) end\nreturn M", message);
  bench("5 fields, 2 vars, json.encode", R"(
local M = {}
function M.transform(msg, ctx)
  local id = msg:get("PID-3.1")
  local family = msg:get("PID-5.1")
  local code = msg:get("OBX-3.1")
  local value = msg:get("OBX-5")
  local units = msg.OBX[6]:value()
  ctx.vars.patient_id = id
  ctx.vars.code = code
  return json.encode({ patient = id, family = family, code = code, value = value, units = units })
end
return M)",
        message);
  return 0;
}
