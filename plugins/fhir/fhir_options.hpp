// The YAML options the fhir connector declares: the engine validates channel
// files against these arrays and fills in their defaults; README.md documents them.
// The source has two modes (listen: an R4 REST listener, optionally a
// repository; poll: searches a remote server), so its array holds both.
#pragma once
#include <artery/options.hpp>

#include <cstddef>

namespace artery::fhir {

extern const OptionSpec kSourceOptions[];
extern const std::size_t kSourceOptionCount;
extern const OptionSpec kDestinationOptions[];
extern const std::size_t kDestinationOptionCount;

}  // namespace artery::fhir
