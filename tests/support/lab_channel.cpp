#include "support/lab_channel.hpp"

namespace artery::testing {

std::string lab_channel_yaml(int mllp_port, const std::filesystem::path& out_dir,
                             const std::string& more_destinations) {
  return "name: lab\n"
         "source:\n"
         "  type: mllp\n"
         "  listen: 127.0.0.1:" + std::to_string(mllp_port) + "\n"
         "destinations:\n"
         "  - name: archive\n"
         "    type: file\n"
         "    directory: " + out_dir.string() + "\n"
         "    filename: ${control_id:-message}.hl7\n" + more_destinations;
}

}  // namespace artery::testing
