#include "cli/arguments.hpp"

#include <algorithm>
#include <unistd.h>

namespace artery::cli {

Arguments parse_arguments(int argc, char** argv, int first, const std::vector<std::string>& valued,
                          const std::vector<std::string>& switches) {
  Arguments args;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0 || word == "--") {
      args.positional.push_back(word);
      continue;
    }
    std::string value;
    auto equals = word.find('=');
    if (equals != std::string::npos) {
      value = word.substr(equals + 1);
      word = word.substr(0, equals);
    }
    if (std::find(switches.begin(), switches.end(), word) != switches.end()) {
      args.flags[word] = value;
    } else if (std::find(valued.begin(), valued.end(), word) != valued.end()) {
      if (equals == std::string::npos) {
        if (i + 1 >= argc) {
          args.error = word + " needs a value";
          return args;
        }
        value = argv[++i];
      }
      args.flags[word] = value;
    } else {
      args.error = "unknown option " + word;
      return args;
    }
  }
  return args;
}

std::optional<long> positive_number(const std::string& text) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  long value = std::stol(text);
  if (value < 1) return std::nullopt;
  return value;
}

std::filesystem::path default_plugins_dir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "plugins";
  return self.parent_path() / "plugins";
}

}  // namespace artery::cli
