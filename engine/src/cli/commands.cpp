#include "cli/commands.hpp"

#include <cstdio>

namespace artery::cli {
int main(int, char**) {
  std::puts("artery: not yet");
  return 0;
}
}  // namespace artery::cli
