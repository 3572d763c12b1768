// artery test: run channels' tests: blocks offline (no sockets, no store).
#include "cli/commands.hpp"
#include "cli/channel_files.hpp"
#include "cli/text_diff.hpp"
#include "log/logger.hpp"
#include "runtime/channel_script_services.hpp"
#include "runtime/engine.hpp"

#include <artery/hl7.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace artery::cli {
namespace {

struct Outcome {
  std::vector<std::string> failures;
};

std::string read_file(const std::filesystem::path& file, bool& ok) {
  std::ifstream in(file, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

Outcome run_case(const ChannelConfig& channel, lua::Script* script, const ChannelTestCase& test) {
  Outcome outcome;
  std::string input = test.input_text;
  if (!test.input.empty()) {
    bool ok = false;
    input = read_file(test.input, ok);
    if (!ok) {
      outcome.failures.push_back("cannot read input " + test.input.string());
      return outcome;
    }
  }
  lua::ScriptContext context;
  context.channel = channel.name;
  lua::ScriptResult result;
  hl7::ParseError parse_error;
  if (channel.data_type == data_type::hl7v2 && !hl7::Message::parse(input, &parse_error)) {
    result.status = lua::ScriptResult::Status::error;
    result.error = "HL7 parse error: " + parse_error.message;
  } else if (script) {
    result = script->process({input, channel.data_type}, context);
  }
  const std::string output = result.payload.value_or(input);
  const bool filtered = result.status == lua::ScriptResult::Status::filtered;
  const bool errored = result.status == lua::ScriptResult::Status::error;

  if (test.expect_error_contains) {
    if (!errored) outcome.failures.push_back("expected an error containing \"" + *test.expect_error_contains + "\", got none");
    else if (result.error.find(*test.expect_error_contains) == std::string::npos)
      outcome.failures.push_back("error does not contain \"" + *test.expect_error_contains + "\": " + first_line(result.error));
    return outcome;
  }
  if (errored) {
    outcome.failures.push_back("script failed: " + result.error);
    return outcome;
  }
  if (test.expect_filtered && *test.expect_filtered != filtered)
    outcome.failures.push_back(filtered ? "message was filtered, expected it to pass" : "message passed, expected it filtered");
  for (const auto& [key, want] : test.expect_vars) {
    auto it = context.vars.find(key);
    if (it == context.vars.end()) outcome.failures.push_back("ctx.vars." + key + " not set (expected \"" + want + "\")");
    else if (it->second != want)
      outcome.failures.push_back("ctx.vars." + key + " is \"" + it->second + "\", expected \"" + want + "\"");
  }
  for (const auto& needle : test.output_contains)
    if (output.find(needle) == std::string::npos)
      outcome.failures.push_back("output does not contain: " + needle + "\n  output was:\n" + output);
  if (test.output_equals && *test.output_equals != output)
    outcome.failures.push_back("output differs:\n" + line_diff(*test.output_equals, output));
  if (test.response_contains) {
    const std::string response = context.response.value_or("");
    if (response.find(*test.response_contains) == std::string::npos)
      outcome.failures.push_back("response does not contain: " + *test.response_contains + "\n  response was: " + response);
  }
  return outcome;
}

}  // namespace

int test_command(int argc, char** argv) {
  ChannelFiles files;
  if (int code = load_channel_files(argc, argv, "test", files)) return code;
  const auto& config = files.config;
  const auto& diagnostics = files.diagnostics;
  const auto& channels = files.channels;

  int passed = 0, failed = static_cast<int>(diagnostics.empty() ? 0 : 1);
  for (const auto& channel : channels) {
    if (channel.tests.empty()) continue;
    // One key/value space per channel: tests run in order and may build on each other.
    ChannelScriptServices services(channel.name, nullptr);
    std::unique_ptr<lua::Script> script;
    if (!channel.script.empty()) {
      lua::Script::Options options;
      options.file = channel.script;
      options.limits = config.lua_limits;
      options.services = &services;
      options.module_paths = module_paths_for(channel);
      std::string error;
      script = lua::Script::load(options, error);
      if (!script) {
        std::printf("FAIL %s: script does not load: %s\n", channel.name.c_str(), error.c_str());
        failed += static_cast<int>(channel.tests.size());
        continue;
      }
    }
    for (const auto& test : channel.tests) {
      auto outcome = run_case(channel, script.get(), test);
      if (outcome.failures.empty()) {
        ++passed;
        std::printf("PASS %s: %s\n", channel.name.c_str(), test.name.c_str());
      } else {
        ++failed;
        std::printf("FAIL %s: %s (%s)\n", channel.name.c_str(), test.name.c_str(), test.location.c_str());
        for (const auto& f : outcome.failures) std::printf("  %s\n", f.c_str());
      }
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace artery::cli
