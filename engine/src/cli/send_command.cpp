// artery send: a client for the connectors, built on the plugins' own
// destinations, so the CLI speaks exactly what channels send.
#include "cli/arguments.hpp"
#include "cli/commands.hpp"
#include "cli/send_mllp.hpp"
#include "cli/send_systemone.hpp"

#include <cstdio>
#include <string_view>

namespace artery::cli {

int send_command(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: artery send mllp|systemone HOST:PORT ...\n");
    return 2;
  }
  std::string_view protocol = argv[2];
  if (protocol == "mllp") return send_mllp(argc, argv);
  if (protocol == "systemone") return send_systemone(argc, argv);
  std::fprintf(stderr, "artery send: unknown protocol '%s' (mllp, systemone)\n", argv[2]);
  return 2;
}

}  // namespace artery::cli
