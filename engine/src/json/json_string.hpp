// A string as a JSON string literal: the one escaper the core has (the Lua
// json module and the HTTP server's JSON answers both write with it).
#pragma once
#include <string>
#include <string_view>

namespace artery {

// Appends `text` quoted and escaped (", \, control characters); bytes >= 0x20
// pass through, so UTF-8 stays as it is.
void append_json_string(std::string& out, std::string_view text);

}  // namespace artery
