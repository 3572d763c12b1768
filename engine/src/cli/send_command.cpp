// artery send: a client for the connectors, built on the plugins' own
// destinations, so the CLI speaks exactly what channels send.
#include "cli/arguments.hpp"
#include "cli/commands.hpp"
#include "cli/send_mllp.hpp"
#include "cli/send_systemone.hpp"
#include "cli/usage.hpp"

#include <string>
#include <string_view>

namespace artery::cli {

int send_command(int argc, char** argv) {
  if (argc < 3) return usage_error("send", "name a protocol: mllp or systemone");
  std::string_view protocol = argv[2];
  if (protocol == "mllp") return send_mllp(argc, argv);
  if (protocol == "systemone") return send_systemone(argc, argv);
  return usage_error("send", "unknown protocol '" + std::string(protocol) + "' (mllp, systemone)");
}

}  // namespace artery::cli
