// The YAML options the file connector declares: the engine validates channel
// files against these arrays and fills in their defaults; README.md documents them.
#pragma once
#include <artery/options.hpp>

#include <cstddef>

namespace artery::file_connector {

extern const OptionSpec kSourceOptions[];
extern const std::size_t kSourceOptionCount;
extern const OptionSpec kDestinationOptions[];
extern const std::size_t kDestinationOptionCount;

}  // namespace artery::file_connector
