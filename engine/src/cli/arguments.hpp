// Command-line arguments: positional words and --flag value pairs.
#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace artery::cli {

struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--repeat" -> "3"; switches map to ""
  std::string error;                         // an unknown flag or a missing value

  std::optional<std::string> flag(const std::string& name) const {
    auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    return it->second;
  }
};

// `valued` flags take the next word as their value; `switches` take none.
Arguments parse_arguments(int argc, char** argv, int first, const std::vector<std::string>& valued,
                          const std::vector<std::string>& switches = {});

// A count given on the command line: digits only, at least 1 ("3", not "3x", "0" or "-1").
std::optional<long> positive_number(const std::string& text);

// <folder of the running binary>/plugins.
std::filesystem::path default_plugins_dir();

}  // namespace artery::cli
