// The docs' examples, run: so a snippet that stops working fails the suite
// instead of the next reader. Generic on purpose: the docs change often, so
// this reads whatever fenced blocks they hold, by these rules:
//
// Documents: README.md, docs/*.md, examples/README.md, plugins/*/README.md.
//
// ```yaml blocks
//   - a whole channel (a line starting `name:` and one starting `source:`, at
//     column 0) is written into a scratch copy of the repository's layout as
//     channels/<doc>-<line>.yaml, so its relative paths resolve as they would
//     for a file in channels/ (`../scripts/x.lua`, `../examples/data/...`). It
//     must pass `artery validate`, and `artery test` when it has `tests:`.
//   - an engine config (every top-level key is an artery.yaml key: channels,
//     data, plugins, http, durability, lua, log_level, admin, alerts, metrics_public, reload, storage) must load:
//     `artery validate --config <it>` on an empty channels folder.
//   - anything else (a `source:` or `destinations:` fragment) is skipped.
//
// ```sh / ```bash / ```shell blocks: each command (continuation lines
// joined) that runs `artery` or `build/artery` offline, i.e. validate, test,
// version, help or anything with --help, is run with /bin/sh from the
// repository root (with this build's binary) and must exit 0. Other lines
// (make, send, run, cat, sqlite3: they need a built tree or a running
// engine) are skipped.
//
// A block right after the line `<!-- snippet: skip -->` is skipped (for an
// example that is meant to fail).
#include "support/engine_process.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <sys/wait.h>

using namespace artery::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kRepository = ARTERY_SOURCE_DIR;

struct Snippet {
  fs::path document;  // relative to the repository
  int line = 0;       // of the opening fence, 1-based
  std::string language;
  std::string text;
  std::string where() const { return document.string() + ":" + std::to_string(line); }
};

std::vector<fs::path> documents() {
  std::vector<fs::path> out = {"README.md", "examples/README.md"};
  for (const char* folder : {"docs", "plugins"}) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(kRepository / folder)) {
      const fs::path relative = fs::relative(entry.path(), kRepository);
      if (entry.is_regular_file() && entry.path().extension() == ".md") found.push_back(relative);
      if (entry.is_directory() && fs::exists(entry.path() / "README.md")) found.push_back(relative / "README.md");
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// Fenced blocks (``` with an optional language), with their indentation removed.
std::vector<Snippet> snippets_of(const fs::path& document) {
  std::vector<Snippet> out;
  std::istringstream in(read_text(kRepository / document));
  std::string line, previous;
  bool inside = false, skip = false;
  std::size_t indent = 0;
  Snippet current;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string trimmed = trim(line);
    if (!inside && trimmed.rfind("```", 0) == 0) {
      inside = true;
      skip = previous == "<!-- snippet: skip -->";
      indent = line.find('`');
      current = Snippet{document, number, trim(trimmed.substr(3)), ""};
    } else if (inside && trimmed == "```") {
      inside = false;
      if (!skip) out.push_back(current);
    } else if (inside) {
      current.text += (line.size() >= indent ? line.substr(indent) : trim(line)) + "\n";
    }
    if (!trimmed.empty()) previous = trimmed;
  }
  return out;
}

bool has_line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return true;
  return false;
}

bool is_whole_channel(const std::string& yaml) {
  return has_line_starting(yaml, "name:") && has_line_starting(yaml, "source:");
}

// Every top-level key is an engine-config key (and there is at least one).
bool is_engine_config(const std::string& yaml) {
  static const std::set<std::string> keys = {"channels", "data",     "plugins",  "http",
                                             "durability", "lua", "log_level", "admin", "alerts",
                                             "metrics_public", "reload", "storage"};
  static const std::regex top_level_key(R"(^([A-Za-z_][A-Za-z0-9_-]*):)");
  std::istringstream in(yaml);
  int found = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == ' ' || line[0] == '#' || line[0] == '-') continue;
    std::smatch match;
    if (!std::regex_search(line, match, top_level_key) || !keys.count(match[1])) return false;
    ++found;
  }
  return found > 0;
}

// The shell commands of a block, continuation lines joined, comments and blank lines dropped.
std::vector<std::string> commands_of(const std::string& script) {
  std::vector<std::string> out;
  std::istringstream in(script);
  std::string command;
  for (std::string line; std::getline(in, line);) {
    const bool continues = !line.empty() && line.back() == '\\';
    command += continues ? line.substr(0, line.size() - 1) : line;
    if (continues) continue;
    const std::string trimmed = trim(command);
    command.clear();
    if (!trimmed.empty() && trimmed[0] != '#') out.push_back(trimmed);
  }
  return out;
}

// The command with this build's binary in place of `artery`/`build/artery`,
// or "" when it is not an offline artery command.
std::string offline_artery_command(const std::string& command) {
  static const std::regex artery_call(R"(^(\./)?(build/)?artery(\s+(\S+))?(.*)$)");
  std::smatch match;
  if (!std::regex_match(command, match, artery_call)) return "";
  const std::string subcommand = match[4];
  static const std::set<std::string> offline = {"validate", "test", "version", "--version", "help", "--help"};
  const bool asks_help = std::regex_search(command, std::regex(R"((^|\s)(--help|-h)(\s|$))"));
  if (!offline.count(subcommand) && !asks_help) return "";
  return std::string(ARTERY_BINARY) + (subcommand.empty() ? "" : " " + subcommand) + std::string(match[5]);
}

// Runs `command` with /bin/sh in `folder`; exit status, output in `output`.
int run_shell(const std::string& command, const fs::path& folder, std::string& output) {
  const std::string line = "cd '" + folder.string() + "' && " + command + " 2>&1";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (!pipe) return -1;
  output.clear();
  std::array<char, 4096> buffer;
  for (std::size_t n; (n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0;) output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A scratch folder laid out like the repository: its top-level entries
// linked, except channels/, which is where the snippets go.
struct ScratchRepository {
  TempDir dir{"artery-docs"};
  ScratchRepository() {
    for (const auto& entry : fs::directory_iterator(kRepository)) {
      const std::string name = entry.path().filename().string();
      if (name == "channels" || name.front() == '.') continue;
      fs::create_directory_symlink(entry.path(), dir / name);
    }
    fs::create_directories(dir / "channels");
  }
  fs::path channel_file(const Snippet& snippet) const {
    std::string name = snippet.document.string() + "-" + std::to_string(snippet.line);
    for (char& c : name)
      if (c == '/' || c == '.') c = '-';
    return dir / "channels" / (name + ".yaml");
  }
};

}  // namespace

TEST_CASE("the docs' whole channels and engine configs validate, and their tests pass", "[integration][docs]") {
  ScratchRepository scratch;
  int channels = 0, configs = 0;
  for (const auto& document : documents()) {
    for (const auto& snippet : snippets_of(document)) {
      if (snippet.language != "yaml" && snippet.language != "yml") continue;
      std::string output;
      if (is_whole_channel(snippet.text)) {
        ++channels;
        const fs::path file = scratch.channel_file(snippet);
        write_text(file, snippet.text);
        INFO(snippet.where() << "\n" << snippet.text);
        {
          const int code = run_artery({"validate", file.string()}, output);
          INFO("artery validate:\n" << output);
          CHECK(code == 0);
        }
        if (has_line_starting(snippet.text, "tests:")) {
          const int code = run_artery({"test", file.string()}, output);
          INFO("artery test:\n" << output);
          CHECK(code == 0);
          CHECK(output.find(", 0 failed") != std::string::npos);
        }
      } else if (is_engine_config(snippet.text)) {
        ++configs;
        TempDir dir("artery-docs-config");
        write_text(dir / "artery.yaml", snippet.text);
        fs::create_directories(dir / "channels");
        const int code =
            run_artery({"validate", "--config", (dir / "artery.yaml").string(), (dir / "channels").string()}, output);
        INFO(snippet.where() << "\n" << snippet.text << "\nartery validate --config:\n" << output);
        CHECK(code == 0);
      }
    }
  }
  // The docs have at least the reference channel in channels.md and the lua limits.
  CHECK(channels >= 1);
  CHECK(configs >= 1);
}

TEST_CASE("the docs' offline artery commands succeed", "[integration][docs]") {
  int run = 0;
  for (const auto& document : documents()) {
    for (const auto& snippet : snippets_of(document)) {
      if (snippet.language != "sh" && snippet.language != "bash" && snippet.language != "shell") continue;
      for (const auto& command : commands_of(snippet.text)) {
        const std::string offline = offline_artery_command(command);
        if (offline.empty()) continue;
        ++run;
        std::string output;
        const int code = run_shell(offline, kRepository, output);
        INFO(snippet.where() << ": " << command << "\n" << output);
        CHECK(code == 0);
      }
    }
  }
  CHECK(run >= 3);  // README: artery --help, artery test, artery validate at least
}
