// artery test: run channels' tests: blocks offline (no sockets, no store).
// A message takes the path `run` gives it (run_channel_stage: the channel's
// data_type, the parse, the script), then each destination the test names
// gets it through its own script, and its `filename` template is resolved;
// nothing is sent.
#include "cli/channel_files.hpp"
#include "cli/commands.hpp"
#include "cli/text_diff.hpp"
#include "log/logger.hpp"
#include "runtime/channel_script_services.hpp"
#include "runtime/channel_stage.hpp"
#include "runtime/engine.hpp"
#include "runtime/lua_destination.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace artery::cli {
namespace {

using Failures = std::vector<std::string>;

std::string read_file(const std::filesystem::path& file, bool& ok) {
  std::ifstream in(file, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// HL7 segments end in a bare CR, which a terminal prints over the line before:
// show one segment per line.
std::string readable(std::string text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') continue;
    if (i + 1 < text.size() && text[i + 1] == '\n') text.erase(i, 1);
    else text[i] = '\n';
  }
  return text;
}

std::string indented(const std::string& text) {
  std::string out = "    ";
  for (char c : readable(text)) {
    out += c;
    if (c == '\n') out += "    ";
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

// One stage's outcome against what the test expects of it; every mismatch
// is reported, not only the first.
void check_output(const OutputExpectation& expect, const std::string& what, bool filtered, const std::string& error,
                  const std::string& output, Failures& failures) {
  const bool errored = !error.empty();
  if (expect.error_contains) {
    if (!errored)
      failures.push_back(what + ": expected an error containing \"" + *expect.error_contains + "\", got none");
    else if (error.find(*expect.error_contains) == std::string::npos)
      failures.push_back(what + ": error does not contain \"" + *expect.error_contains + "\": " + first_line(error));
  } else if (errored) {
    failures.push_back(what + ": script failed: " + error);
  }
  if (expect.filtered && *expect.filtered != filtered)
    failures.push_back(what + (filtered ? ": message was filtered, expected it to pass"
                                        : ": message passed, expected it filtered"));
  if (errored || filtered) {
    if (!expect.output_contains.empty() || expect.output_equals)
      failures.push_back(what + ": no output to compare (the message was " + (errored ? "an error" : "filtered") +
                         ")");
    return;
  }
  for (const auto& needle : expect.output_contains)
    if (output.find(needle) == std::string::npos)
      failures.push_back(what + ": output does not contain: " + needle + "\n  output was:\n" + indented(output));
  if (expect.output_equals && *expect.output_equals != output)
    failures.push_back(what + ": output differs:\n" + line_diff(readable(*expect.output_equals), readable(output)));
}

struct ChannelUnderTest {
  const ChannelConfig& channel;
  lua::Script* script;
  std::map<std::string, std::unique_ptr<lua::Script>> destination_scripts;  // by destination name
  bool verbose;
};

void check_destination(const ChannelUnderTest& under_test, const DestinationExpectation& expect,
                       const ChannelStageResult& stage, const std::string& output, const SourceAttributes& source,
                       Failures& failures) {
  const std::string what = "destination " + expect.destination;
  const DestinationConfig* dest = nullptr;
  for (const auto& d : under_test.channel.destinations)
    if (d.name == expect.destination) dest = &d;
  if (!dest) return;  // validated when the channel was read
  std::string data_type = stage.payload_type.empty() ? under_test.channel.data_type : stage.payload_type;
  std::string content = output;
  std::map<std::string, std::string> vars = stage.vars;
  bool filtered = false;
  std::string error;
  if (auto it = under_test.destination_scripts.find(dest->name); it != under_test.destination_scripts.end()) {
    lua::ScriptContext context;
    context.channel = under_test.channel.name;
    context.destination = dest->name;
    context.vars = vars;
    context.source = &source;
    auto result = it->second->process({content, data_type}, context);
    filtered = result.status == lua::ScriptResult::Status::filtered;
    if (result.status == lua::ScriptResult::Status::error) error = result.error;
    if (result.payload) content = std::move(*result.payload);
    vars = context.vars;
  }
  check_output(expect, what, filtered, error, content, failures);
  if (under_test.verbose && error.empty() && !filtered)
    std::printf("  %s output:\n%s\n", what.c_str(), indented(content).c_str());
  if (!expect.filename) return;
  for (const auto& [key, value] : source) vars.emplace("source." + key, value);
  auto template_text = dest->connector.options.tree.get_optional<std::string>("filename");
  if (!template_text) {
    failures.push_back(what + ": expects a filename, but the destination has no `filename` option");
    return;
  }
  std::string problem;
  auto name = expand_template(*template_text, vars, &problem);
  if (!name) failures.push_back(what + ": filename: " + problem);
  else if (*name != *expect.filename)
    failures.push_back(what + ": filename is \"" + *name + "\", expected \"" + *expect.filename + "\"");
}

Failures run_case(const ChannelUnderTest& under_test, const ChannelTestCase& test) {
  Failures failures;
  std::string input = test.input_text;
  SourceAttributes source = test.source;
  if (!test.input.empty()) {
    bool ok = false;
    input = read_file(test.input, ok);
    if (!ok) return {"cannot read input " + test.input.string()};
    bool named = false;
    for (const auto& [key, value] : source) named = named || key == "filename";
    if (!named) source.emplace_back("filename", test.input.filename().string());
  }
  const auto& channel = under_test.channel;
  Message message{input, {}, source};
  const std::string data_type = channel_data_type(channel, message);
  auto stage = run_channel_stage(channel.name, input, data_type, &source, under_test.script);
  using Outcome = ChannelStageResult::Outcome;
  const bool filtered = stage.outcome == Outcome::filtered;
  const std::string error =
      stage.outcome == Outcome::rejected || stage.outcome == Outcome::errored ? stage.error : std::string{};
  const std::string output = stage.payload.value_or(input);
  if (under_test.verbose && error.empty() && !filtered)
    std::printf("  output:\n%s\n", indented(output).c_str());

  check_output(test.expect, "channel", filtered, error, output, failures);
  for (const auto& [key, want] : test.expect_vars) {
    auto it = stage.vars.find(key);
    if (it == stage.vars.end()) failures.push_back("ctx.vars." + key + " not set (expected \"" + want + "\")");
    else if (it->second != want)
      failures.push_back("ctx.vars." + key + " is \"" + it->second + "\", expected \"" + want + "\"");
  }
  if (test.response_contains) {
    const std::string response = stage.response.value_or("");
    if (response.find(*test.response_contains) == std::string::npos)
      failures.push_back("response does not contain: " + *test.response_contains + "\n  response was:\n" +
                         indented(response));
  }
  for (const auto& expect : test.destinations) {
    if (!error.empty() || filtered) {
      failures.push_back("destination " + expect.destination + ": not reached (the channel " +
                         (filtered ? "filtered the message)" : "failed)"));
      continue;
    }
    check_destination(under_test, expect, stage, output, source, failures);
  }
  return failures;
}

std::unique_ptr<lua::Script> load_script(const ChannelConfig& channel, const std::filesystem::path& file,
                                         const std::vector<std::string>& functions, const EngineConfig& config,
                                         ChannelScriptServices& services, std::vector<std::filesystem::path> roots,
                                         std::string& error) {
  lua::Script::Options options;
  options.file = file;
  options.limits = config.lua_limits;
  options.services = &services;
  options.module_paths = module_paths_for(channel);
  options.functions = functions;
  options.fs_roots = std::move(roots);
  return lua::Script::load(options, error);
}

}  // namespace

int test_command(int argc, char** argv) {
  ChannelFiles files;
  if (int code = load_channel_files(argc, argv, "test", files)) return code;
  const auto& config = files.config;
  // log.info and print from scripts are the test's own output with --verbose.
  if (files.verbose) logger::set_level(LogLevel::debug);

  int passed = 0, failed = static_cast<int>(files.diagnostics.empty() ? 0 : 1);
  for (const auto& channel : files.channels) {
    if (channel.tests.empty()) continue;
    // One key/value space per channel: tests run in order and may build on each other.
    ChannelScriptServices services(channel.name, nullptr);
    std::string error;
    std::unique_ptr<lua::Script> script;
    if (!channel.script.empty()) {
      script = load_script(channel, channel.script, lua::Script::channel_functions(), config, services, {}, error);
      if (!script) {
        std::printf("FAIL %s: script does not load: %s\n", channel.name.c_str(), error.c_str());
        failed += static_cast<int>(channel.tests.size());
        continue;
      }
    }
    ChannelUnderTest under_test{channel, script.get(), {}, files.verbose};
    bool loaded = true;
    for (const auto& dest : channel.destinations) {
      if (dest.script.empty()) continue;
      const bool lua = dest.connector.type == "lua";
      auto loaded_script =
          load_script(channel, dest.script,
                      lua ? lua::Script::lua_destination_functions() : lua::Script::destination_functions(), config,
                      services, lua ? lua_destination_roots(dest, channel.file.parent_path(), config.data_dir)
                                    : std::vector<std::filesystem::path>{},
                      error);
      if (!loaded_script) {
        std::printf("FAIL %s: destination %s's script does not load: %s\n", channel.name.c_str(), dest.name.c_str(),
                    error.c_str());
        loaded = false;
        break;
      }
      under_test.destination_scripts[dest.name] = std::move(loaded_script);
    }
    if (!loaded) {
      failed += static_cast<int>(channel.tests.size());
      continue;
    }
    for (const auto& test : channel.tests) {
      if (files.verbose) std::printf("RUN  %s: %s\n", channel.name.c_str(), test.name.c_str());
      std::fflush(stdout);
      auto failures = run_case(under_test, test);
      if (failures.empty()) {
        ++passed;
        std::printf("PASS %s: %s\n", channel.name.c_str(), test.name.c_str());
      } else {
        ++failed;
        std::printf("FAIL %s: %s (%s)\n", channel.name.c_str(), test.name.c_str(), test.location.c_str());
        for (const auto& f : failures) std::printf("  %s\n", f.c_str());
      }
      std::fflush(stdout);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace artery::cli
