// Channel YAML loading: values and defaults, and every kind of mistake
// reported at its exact line (fixtures in tests/fixtures/config/).
#include "config/channel_config.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace artery;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(ARTERY_FIXTURES) / "config";

// A stand-in for the plugins the runtime loads: an mllp-like source with
// nested tls.* keys, an enum, a size and a list; a file plugin with both
// sides; and the built-in lua destination.
class TestCatalog : public PluginCatalog {
 public:
  TestCatalog() {
    mllp_.default_data_type = "hl7v2";
    mllp_.options = {
        {"listen", "address", nullptr, true, "where to listen"},
        {"mode", "enum:strict|lenient", "strict", false, "framing strictness"},
        {"max_message", "size", "1MiB", false, "largest message"},
        {"ack_timeout", "duration", "30s", false, "how long a sender waits"},
        {"tls.enabled", "bool", "false", false, "TLS on"},
        {"tls.cert", "string", nullptr, false, "certificate"},
        {"tls.key", "string", "server.key", false, "private key"},
        {"allowed", "list", nullptr, false, "allowed peers"},
    };
    file_.default_data_type = "text";
    file_.options = {
        {"directory", "string", nullptr, true, "folder"},
        {"filename", "string", "${message_id}.txt", false, "file name template"},
        {"poll", "duration", "1s", false, "poll interval"},
        {"headers", "map", nullptr, false, "anything"},
        {"mkdir", "bool", "true", false, "create the folder"},
    };
  }
  const ConnectorSchema* source_schema(const std::string& type) const override {
    if (type == "mllp") return &mllp_;
    if (type == "file") return &file_;
    return nullptr;
  }
  const ConnectorSchema* destination_schema(const std::string& type) const override {
    if (type == "file") return &file_;
    if (type == "lua") return &lua_;
    return nullptr;
  }
  std::vector<std::string> types() const override { return {"mllp", "file", "lua"}; }

 private:
  ConnectorSchema mllp_, file_, lua_;
};

std::string all(const Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) out += d.str() + "\n";
  return out;
}

const Diagnostic* find(const Diagnostics& diagnostics, const std::string& text) {
  for (const auto& d : diagnostics)
    if (d.message.find(text) != std::string::npos) return &d;
  return nullptr;
}

// A private folder for channel files written by one test, removed after it.
class ScratchDir {
 public:
  ScratchDir() : path_(fs::temp_directory_path() / ("artery_config_test_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path write(const std::string& name, const std::string& yaml) const {
    std::ofstream(path_ / name) << yaml;
    return path_ / name;
  }

 private:
  fs::path path_;
};

}  // namespace

TEST_CASE("a full channel loads with every value and defaults filled in") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  auto channel = load_channel(kDir / "full.yaml", catalog, diagnostics);
  INFO(all(diagnostics));
  REQUIRE(diagnostics.empty());
  REQUIRE(channel);

  CHECK(channel->file == (kDir / "full.yaml").lexically_normal());
  CHECK(channel->file.is_absolute());
  CHECK(channel->name == "lab-results-to-json");
  CHECK(channel->description == "ORU results from ward monitors into per-patient JSON files");
  CHECK_FALSE(channel->enabled);
  CHECK(channel->workers == 4);
  CHECK(channel->ack == AckMode::after_delivery);
  CHECK(channel->retention.max_age == std::chrono::milliseconds(30LL * 86'400'000));
  CHECK(channel->retention.max_count == 100000);
  CHECK(channel->script == (kDir / "scripts/transform.lua").lexically_normal());
  CHECK(channel->data_type == "text");  // source.data_type overrides the plugin's hl7v2

  const auto& source = channel->source;
  CHECK(source.type == "mllp");
  CHECK(source.location == (kDir / "full.yaml").string() + ":5:1");
  const auto& tree = source.options.tree;
  CHECK(tree.get<std::string>("listen") == "127.0.0.1:2575");
  CHECK(tree.get<std::string>("mode") == "lenient");
  CHECK(tree.get<bool>("tls.enabled"));  // "True" normalised so ptree reads it
  CHECK(tree.get<std::string>("tls.cert") == "certs/server.pem");
  // Defaults for absent keys, nested ones included.
  CHECK(tree.get<std::string>("tls.key") == "server.key");
  CHECK(tree.get<std::string>("max_message") == "1MiB");
  CHECK(tree.get<std::string>("ack_timeout") == "30s");
  // Engine keys are not passed to the plugin.
  CHECK(tree.count("type") == 0);
  CHECK(tree.count("data_type") == 0);
  // Lists are children with empty keys.
  auto allowed = tree.get_child("allowed");
  REQUIRE(allowed.size() == 2);
  CHECK(allowed.begin()->first.empty());
  CHECK(allowed.begin()->second.data() == "10.0.0.1");
  // Where each key was written, 1-based.
  const auto& where = source.options.locations;
  CHECK(where.at("") == (kDir / "full.yaml").string() + ":5:1");
  CHECK(where.at("listen") == (kDir / "full.yaml").string() + ":8:3");
  CHECK(where.at("tls.cert") == (kDir / "full.yaml").string() + ":12:5");
  CHECK(where.at("allowed.1") == (kDir / "full.yaml").string() + ":13:23");
  CHECK(source.options.location_of("max_message") == where.at(""));

  REQUIRE(channel->destinations.size() == 2);
  const auto& files = channel->destinations[0];
  CHECK(files.name == "patient-files");
  CHECK(files.enabled);
  CHECK(files.connector.type == "file");
  CHECK(files.script == (kDir / "scripts/destination.lua").lexically_normal());
  CHECK(files.retry.max == 5);
  CHECK(files.retry.initial == std::chrono::milliseconds(250));
  CHECK(files.retry.max_delay == std::chrono::milliseconds(60'000));
  CHECK(files.retry.retry_rejected);
  CHECK(files.location == (kDir / "full.yaml").string() + ":19:5");
  const auto& file_tree = files.connector.options.tree;
  CHECK(file_tree.get<std::string>("directory") == "out/patients");
  CHECK(file_tree.get<std::string>("filename") == "patient_${patient_id}.json");
  CHECK(file_tree.get<std::string>("poll") == "1s");
  CHECK(file_tree.get<bool>("mkdir"));
  // A `map` option keeps whatever is below it, keys with dots or dashes included.
  CHECK(file_tree.get_child("headers").get<std::string>("x-kind") == "results");
  CHECK(file_tree.count("retry") == 0);
  CHECK(file_tree.count("name") == 0);

  const auto& archive = channel->destinations[1];
  CHECK(archive.name == "archive");
  CHECK(archive.script.empty());
  CHECK(archive.retry.max == 10);  // RetryPolicy defaults
  CHECK(archive.retry.initial == std::chrono::milliseconds(1000));
  CHECK(archive.retry.max_delay == std::chrono::milliseconds(300'000));
  CHECK_FALSE(archive.retry.retry_rejected);
  CHECK(archive.connector.options.tree.get<std::string>("filename") == "${message_id}.txt");

  REQUIRE(channel->tests.size() == 2);
  const auto& k_high = channel->tests[0];
  CHECK(k_high.name == "abnormal potassium");
  CHECK(k_high.input == (kDir / "data/oru_k_high.hl7").lexically_normal());
  CHECK(k_high.input_text.empty());
  CHECK(k_high.expect_vars == std::map<std::string, std::string>{{"patient_id", "555444222"}});
  CHECK(k_high.expect.output_contains == std::vector<std::string>{"\"AbnormalFlags\": \"H\""});
  CHECK(k_high.expect.filtered == false);
  CHECK_FALSE(k_high.expect.output_equals);
  const auto& inline_case = channel->tests[1];
  CHECK(inline_case.input.empty());
  CHECK(inline_case.input_text == "MSH|^~\\&|LAB|WARD");
  CHECK(inline_case.expect.output_contains == std::vector<std::string>{"first", "second"});
  CHECK(inline_case.expect.output_equals == "exact");
  CHECK(inline_case.expect.error_contains == "boom");
  CHECK(inline_case.response_contains == "MSA|AA");
  CHECK_FALSE(inline_case.expect.filtered);
}

TEST_CASE("a minimal channel gets the engine defaults") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  auto channel = load_channel(kDir / "minimal.yaml", catalog, diagnostics);
  INFO(all(diagnostics));
  REQUIRE(channel);
  CHECK(channel->enabled);
  CHECK(channel->workers == 1);
  CHECK(channel->ack == AckMode::after_store);
  CHECK(channel->data_type == "hl7v2");  // the plugin's default_data_type
  CHECK(channel->script.empty());
  CHECK_FALSE(channel->retention.max_age);
  CHECK_FALSE(channel->retention.max_count);
  CHECK(channel->destinations.empty());
  CHECK(channel->tests.empty());
  CHECK(channel->source.options.tree.get<std::string>("mode") == "strict");
}

TEST_CASE("five different mistakes give five diagnostics at their lines") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  auto channel = load_channel(kDir / "five_mistakes.yaml", catalog, diagnostics);
  INFO(all(diagnostics));
  CHECK_FALSE(channel);
  REQUIRE(diagnostics.size() == 5);
  const std::string file = (kDir / "five_mistakes.yaml").string();
  // Reported in file order, whatever order the checks ran in.
  std::vector<int> lines;
  for (const auto& d : diagnostics) lines.push_back(d.line);
  CHECK(lines == std::vector<int>{5, 6, 9, 10, 12});

  auto unknown = find(diagnostics, "unknown key 'max_mesage'");
  REQUIRE(unknown);
  CHECK(unknown->message == "unknown key 'max_mesage' in mllp source (did you mean 'max_message'?)");
  CHECK(unknown->file == file);
  CHECK(unknown->line == 5);
  CHECK(unknown->column == 3);

  auto wrong_type = find(diagnostics, "wrong type for 'workers'");
  REQUIRE(wrong_type);
  CHECK(wrong_type->line == 6);
  CHECK(wrong_type->column == 10);
  CHECK(wrong_type->message.find("expected an integer, got 'many'") != std::string::npos);

  auto plugin = find(diagnostics, "unknown destination type");
  REQUIRE(plugin);
  CHECK(plugin->message == "unknown destination type 'flie'; known: file, lua");
  CHECK(plugin->line == 9);

  auto missing = find(diagnostics, "missing required key 'directory'");
  REQUIRE(missing);
  CHECK(missing->line == 10);  // the destination's list item
  CHECK(missing->message.find("destination 'files'") != std::string::npos);

  auto bad_template = find(diagnostics, "bad template");
  REQUIRE(bad_template);
  CHECK(bad_template->line == 12);
  CHECK(bad_template->message.find("unclosed ${") != std::string::npos);
  CHECK(bad_template->message.find("'filename'") != std::string::npos);
}

TEST_CASE("an unknown channel key suggests the right one") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  CHECK_FALSE(load_channel(kDir / "typo_destination.yaml", catalog, diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].message == "unknown key 'destination' in channel (did you mean 'destinations'?)");
  CHECK(diagnostics[0].line == 5);
  CHECK(diagnostics[0].column == 1);
}

TEST_CASE("an unknown source type lists the known ones") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  ScratchDir scratch;
  auto file = scratch.write("mlp.yaml", "name: x\nsource:\n  type: mlp\n  listen: :1\n");
  CHECK_FALSE(load_channel(file, catalog, diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].message == "unknown source type 'mlp'; known: file, mllp");
  CHECK(diagnostics[0].line == 3);
  CHECK(diagnostics[0].column == 9);
}

TEST_CASE("duplicate channel names across files are reported at the second") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  auto channels = load_channels({kDir / "duplicate"}, catalog, diagnostics);
  INFO(all(diagnostics));
  REQUIRE(channels.size() == 1);
  CHECK(channels[0].file.filename() == "a_first.yaml");  // sorted: the first one wins
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].file == (kDir / "duplicate" / "b_second.yaml").string());
  CHECK(diagnostics[0].line == 2);
  CHECK(diagnostics[0].column == 7);
  CHECK(diagnostics[0].message.find("duplicate channel name 'same-name'") != std::string::npos);
  CHECK(diagnostics[0].message.find("a_first.yaml") != std::string::npos);
}

TEST_CASE("load_channels takes files and folders and keeps only valid channels") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  auto channels = load_channels({kDir / "minimal.yaml", kDir / "five_mistakes.yaml", kDir / "no-such-dir"}, catalog,
                                diagnostics);
  REQUIRE(channels.size() == 1);
  CHECK(channels[0].name == "minimal");
  CHECK(diagnostics.size() == 6);
  CHECK(find(diagnostics, "no such file or directory"));
  // A file named both directly and through its folder is read once.
  Diagnostics again;
  auto twice = load_channels({kDir / "duplicate" / "a_first.yaml", kDir / "duplicate"}, catalog, again);
  CHECK(twice.size() == 1);
  CHECK(again.size() == 1);  // only b_second's duplicate name
}

TEST_CASE("a missing script is reported at the script key") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  CHECK_FALSE(load_channel(kDir / "missing_script.yaml", catalog, diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].message == "script not found: scripts/does_not_exist.lua");
  CHECK(diagnostics[0].line == 5);
  CHECK(diagnostics[0].column == 9);
}

TEST_CASE("a Lua syntax error points into the script at its line") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  CHECK_FALSE(load_channel(kDir / "lua_error.yaml", catalog, diagnostics));
  REQUIRE(diagnostics.size() == 1);
  const auto& d = diagnostics[0];
  CHECK(fs::path(d.file) == (kDir / "scripts" / "broken.lua").lexically_normal());
  CHECK(d.line == 3);
  CHECK(d.message.rfind("lua syntax error: ", 0) == 0);
  CHECK(d.message.find("near '='") != std::string::npos);
}

TEST_CASE("a relative channel path keeps script diagnostics relative") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  auto old = fs::current_path();
  fs::current_path(kDir);
  auto channel = load_channel("lua_error.yaml", catalog, diagnostics);
  fs::current_path(old);
  CHECK_FALSE(channel);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].str().rfind("scripts/broken.lua:3:1: lua syntax error: ", 0) == 0);
}

TEST_CASE("a YAML syntax error is reported at its line") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  CHECK_FALSE(load_channel(kDir / "yaml_syntax.yaml", catalog, diagnostics));
  INFO(all(diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].message.rfind("YAML syntax error: ", 0) == 0);
  CHECK(diagnostics[0].line == 5);  // where yaml-cpp finds the flow list still open
}

TEST_CASE("diagnostics print as file:line:col: message") {
  Diagnostic d{"channels/a.yaml", 12, 3, "unknown key 'x'"};
  CHECK(d.str() == "channels/a.yaml:12:3: unknown key 'x'");
  Diagnostic whole_file{"channels/a.yaml", 0, 0, "file not found"};
  CHECK(whole_file.str() == "channels/a.yaml: file not found");

  TestCatalog catalog;
  Diagnostics diagnostics;
  CHECK_FALSE(load_channel(kDir / "typo_destination.yaml", catalog, diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].str() == (kDir / "typo_destination.yaml").string() +
                                    ":5:1: unknown key 'destination' in channel (did you mean 'destinations'?)");
}

TEST_CASE("value problems in the engine's own keys are each reported") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  ScratchDir scratch;
  auto file = scratch.write("values.yaml",
                            "name: Bad Name\n"                 // 1
                            "enabled: yes-please\n"            // 2
                            "source:\n"                        // 3
                            "  type: mllp\n"                   // 4
                            "  data_type: csv\n"               // 5
                            "  listen: nowhere\n"              // 6
                            "  tls: {enabled: maybe}\n"        // 7
                            "ack: sometimes\n"                 // 8
                            "workers: 0\n"                     // 9
                            "retention: {days: -1, count: x}\n"  // 10
                            "destinations:\n"                  // 11
                            "  - name: a\n"                    // 12
                            "    type: lua\n"                  // 13
                            "    retry: {max: -1, initial: soon, backoff: 2}\n"  // 14
                            "  - name: a\n"                    // 15
                            "    type: file\n"                 // 16
                            "    directory: [1]\n"             // 17
                            "tests:\n"                         // 18
                            "  - name: t\n"                    // 19
                            "    input: nope.hl7\n"            // 20
                            "  - name: u\n"                    // 21
                            "    expect: {filtered: perhaps, output_contains: [{a: b}]}\n");  // 22
  CHECK_FALSE(load_channel(file, catalog, diagnostics));
  INFO(all(diagnostics));
  auto at = [&](const std::string& text) {
    auto d = find(diagnostics, text);
    return d ? d->line : -1;
  };
  CHECK(at("invalid channel name 'Bad Name'") == 1);
  CHECK(at("wrong type for 'enabled'") == 2);
  CHECK(at("wrong type for 'data_type'") == 5);
  CHECK(at("wrong type for 'listen'") == 6);
  CHECK(at("wrong type for 'tls.enabled'") == 7);
  CHECK(at("wrong type for 'ack'") == 8);
  CHECK(at("'workers' in channel must be at least 1") == 9);
  CHECK(at("'days' in retention must be a positive number") == 10);
  CHECK(at("wrong type for 'count'") == 10);
  CHECK(at("'max' in retry of destination 'a' must be at least 0") == 14);
  CHECK(at("wrong type for 'initial'") == 14);
  CHECK(at("unknown key 'backoff' in retry") == 14);
  CHECK(at("needs a 'script'") == 12);
  CHECK(at("duplicate destination name 'a' (first at line 12)") == 15);
  CHECK(at("wrong type for 'directory'") == 17);
  CHECK(at("test input not found: nope.hl7") == 20);
  CHECK(at("test 2 needs 'input'") == 21);
  CHECK(at("wrong type for 'filtered'") == 22);
  CHECK(at("item of 'output_contains'") == 22);
  CHECK(diagnostics.size() == 19);
}

TEST_CASE("files that are not channels are errors, not crashes") {
  TestCatalog catalog;
  ScratchDir scratch;
  Diagnostics diagnostics;
  CHECK_FALSE(load_channel(scratch.write("empty.yaml", ""), catalog, diagnostics));
  CHECK_FALSE(load_channel(scratch.write("list.yaml", "- a\n- b\n"), catalog, diagnostics));
  CHECK_FALSE(load_channel(scratch.write("scalar.yaml", "hello\n"), catalog, diagnostics));
  CHECK_FALSE(load_channel(scratch.write("nulls.yaml", "name:\nsource:\ndestinations: 3\ntests: {a: 1}\n"), catalog,
                           diagnostics));
  CHECK_FALSE(load_channel(scratch.write("dupkey.yaml", "name: a\nname: b\nsource: {type: mllp, listen: ':1'}\n"),
                           catalog, diagnostics));
  CHECK_FALSE(load_channel(kDir / "no-such-file.yaml", catalog, diagnostics));
  INFO(all(diagnostics));
  CHECK(find(diagnostics, "channel file is empty"));
  CHECK(find(diagnostics, "must be a map of keys"));
  CHECK(find(diagnostics, "missing value for required key 'name'"));
  CHECK(find(diagnostics, "missing value for required key 'source'"));
  CHECK(find(diagnostics, "wrong type for 'destinations'"));
  CHECK(find(diagnostics, "wrong type for 'tests'"));
  CHECK(find(diagnostics, "duplicate key 'name' in channel"));
  CHECK(find(diagnostics, "file not found"));
}

TEST_CASE("plugin options: nested keys, map and list contents, templates everywhere") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  ScratchDir scratch;
  auto file = scratch.write("nested.yaml",
                            "name: nested\n"                                   // 1
                            "source:\n"                                        // 2
                            "  type: mllp\n"                                   // 3
                            "  listen: :2575\n"                                // 4
                            "  tls: {cret: a.pem}\n"                           // 5
                            "  allowed: [ok, 'bad ${x']\n"                     // 6
                            "  mode: strict\n"                                 // 7
                            "  mode: lenient\n"                                // 8
                            "destinations:\n"                                  // 9
                            "  - name: out\n"                                  // 10
                            "    type: file\n"                                 // 11
                            "    directory: d\n"                               // 12
                            "    headers: {a: {b: [c, '${}']}, 'x.y': 1}\n"    // 13
                            "    filename: 3\n");                              // 14
  auto channel = load_channel(file, catalog, diagnostics);
  INFO(all(diagnostics));
  CHECK_FALSE(channel);
  REQUIRE(diagnostics.size() == 4);
  CHECK(diagnostics[0].message == "unknown key 'tls.cret' in mllp source (did you mean 'cert'?)");
  CHECK(diagnostics[0].line == 5);
  CHECK(diagnostics[1].message == "bad template in 'allowed.1' of mllp source: unclosed ${ in template (at '${x')");
  CHECK(diagnostics[1].line == 6);
  CHECK(diagnostics[2].message == "duplicate key 'mode' in source");
  CHECK(diagnostics[2].line == 8);
  CHECK(diagnostics[3].message == "bad template in 'headers.a.b.1' of file destination 'out': empty ${} in template");
  CHECK(diagnostics[3].line == 13);
}

TEST_CASE("a map option keeps its content as given") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  ScratchDir scratch;
  auto file = scratch.write("map.yaml",
                            "name: map-option\n"
                            "source: {type: mllp, listen: ':1'}\n"
                            "destinations:\n"
                            "  - name: out\n"
                            "    type: file\n"
                            "    directory: d\n"
                            "    headers: {a: {b: [c, d]}, 'x.y': 1, empty: }\n");
  auto channel = load_channel(file, catalog, diagnostics);
  INFO(all(diagnostics));
  REQUIRE(channel);
  const auto& headers = channel->destinations.at(0).connector.options.tree.get_child("headers");
  // A dotted YAML key stays one key (not a path) inside a map option.
  CHECK(headers.find("x.y") != headers.not_found());
  CHECK(headers.find("x.y")->second.data() == "1");
  const auto& b = headers.get_child("a").get_child("b");
  REQUIRE(b.size() == 2);
  CHECK(std::next(b.begin())->second.data() == "d");
  CHECK(headers.get_child("empty").data().empty());
  const auto& where = channel->destinations.at(0).connector.options.locations;
  CHECK(where.at("headers.a.b.1") == file.string() + ":7:26");
}

TEST_CASE("numbers out of range are reported, not wrapped") {
  TestCatalog catalog;
  Diagnostics diagnostics;
  ScratchDir scratch;
  auto file = scratch.write("range.yaml",
                            "name: range\n"
                            "source: {type: mllp, listen: ':1'}\n"
                            "workers: 5000\n"
                            "destinations:\n"
                            "  - {name: out, type: file, directory: d, retry: {max: 99999999999999999999}}\n");
  CHECK_FALSE(load_channel(file, catalog, diagnostics));
  INFO(all(diagnostics));
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0].message == "'workers' in channel must be at most 1024, got 5000");
  CHECK(diagnostics[0].line == 3);
  CHECK(diagnostics[1].message.find("wrong type for 'max' in retry of destination 'out': expected an integer") == 0);
  CHECK(diagnostics[1].line == 5);
}
