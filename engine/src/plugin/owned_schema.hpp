// A plugin's option schema copied into the engine's own memory. The
// OptionSpec strings a descriptor points at live in the library's read-only
// data; a copy that owns them stays valid after a hot reload unloads it.
#pragma once
#include "config/channel_config.hpp"

#include <artery/options.hpp>

#include <cstddef>
#include <memory>

namespace artery {

std::shared_ptr<const ConnectorSchema> owned_schema(const OptionSpec* options, std::size_t count,
                                                    const char* default_data_type);

}  // namespace artery
