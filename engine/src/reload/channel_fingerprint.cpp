#include "reload/channel_fingerprint.hpp"

#include "runtime/module_paths.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace artery {
namespace {

namespace fs = std::filesystem;

// FNV-1a, 64 bits: change detection, not security.
struct Hash {
  std::uint64_t value = 14695981039346656037ull;
  void add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      value ^= c;
      value *= 1099511628211ull;
    }
    // A separator, so ("ab","c") and ("a","bc") differ.
    value ^= 0xff;
    value *= 1099511628211ull;
  }
};

bool read_file(const fs::path& file, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = std::move(text).str();
  return true;
}

bool module_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Where the sandbox's require() would find `name`, or "" when it would not.
fs::path resolve_module(const std::vector<fs::path>& module_paths, const std::string& name) {
  std::string relative = name;
  std::replace(relative.begin(), relative.end(), '.', '/');
  for (const auto& dir : module_paths)
    for (const auto& candidate : {dir / (relative + ".lua"), dir / relative / "init.lua"}) {
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec)) return candidate;
    }
  return {};
}

}  // namespace

std::vector<std::string> required_modules(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = text.find("require", at)) != std::string::npos) {
    const bool word_start = at == 0 || !(std::isalnum(static_cast<unsigned char>(text[at - 1])) ||
                                         text[at - 1] == '_' || text[at - 1] == '.' || text[at - 1] == ':');
    std::size_t i = at + 7;
    at = i;
    if (!word_start) continue;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i < text.size() && text[i] == '(') {
      ++i;
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    }
    if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) continue;
    const char quote = text[i++];
    std::size_t end = i;
    while (end < text.size() && module_name_char(text[end])) ++end;
    if (end == i || end >= text.size() || text[end] != quote) continue;
    std::string name = text.substr(i, end - i);
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

ChannelFingerprint ChannelFingerprint::of(const fs::path& file, const ChannelConfig* channel) {
  ChannelFingerprint out;
  std::string text;
  Hash portable;
  if (read_file(file, text)) {
    Hash definition;
    definition.add(text);
    out.definition = definition.value;
    portable.add(text);
  }
  out.portable = portable.value;
  if (!channel) return out;
  const fs::path base = file.parent_path();

  const auto module_paths = module_paths_for(*channel);
  Hash scripts;
  std::set<fs::path> seen;
  std::vector<fs::path> todo;
  if (!channel->script.empty()) todo.push_back(channel->script);
  for (const auto& dest : channel->destinations)
    if (!dest.script.empty()) todo.push_back(dest.script);
  // Depth first, in the order the scripts name their modules: the same files
  // in the same order give the same hash.
  while (!todo.empty()) {
    fs::path script = todo.front();
    todo.erase(todo.begin());
    if (!seen.insert(script).second) continue;
    scripts.add(script.string());
    portable.add(script.lexically_relative(base).string());
    std::string body;
    if (!read_file(script, body)) {
      scripts.add("<missing>");
      portable.add("<missing>");
      continue;
    }
    scripts.add(body);
    portable.add(body);
    out.files.push_back(script);
    std::vector<fs::path> found;
    for (const auto& name : required_modules(body)) {
      fs::path module = resolve_module(module_paths, name);
      // A built-in module (json, hl7, ...) or one not there (yet): its name
      // counts, so the module appearing later is a change.
      if (module.empty()) {
        scripts.add("module " + name + " <none>");
        portable.add("module " + name + " <none>");
      } else found.push_back(module);
    }
    todo.insert(todo.begin(), found.begin(), found.end());
  }
  out.scripts = scripts.value;
  out.portable = portable.value;
  return out;
}

}  // namespace artery
