// A problem found in a configuration file, printed as file:line:col: message.
#pragma once
#include <string>
#include <vector>

namespace artery {

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
  std::string message;

  std::string str() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    return out + ": " + message;
  }
};

using Diagnostics = std::vector<Diagnostic>;

}  // namespace artery
