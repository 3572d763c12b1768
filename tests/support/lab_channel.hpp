// The channel the admin and CLI tests run: `lab`, an MLLP source on a given
// port, and a file destination `archive` writing one file per message.
#pragma once
#include <filesystem>
#include <string>

namespace artery::testing {

// `more_destinations`: YAML list items appended after `archive`.
std::string lab_channel_yaml(int mllp_port, const std::filesystem::path& out_dir,
                             const std::string& more_destinations = "");

}  // namespace artery::testing
