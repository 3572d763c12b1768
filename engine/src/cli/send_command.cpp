// artery send: a client for the connectors, built on their own destinations.
#include "cli/commands.hpp"

#include <cstdio>

namespace artery::cli {

int send_command(int argc, char** argv) {
  std::fprintf(stderr, "artery send: not available yet\n");
  return 2;
}

}  // namespace artery::cli
