// Lenient reads of one field of a parsed JSON object, for answers the engine
// wrote itself (another node's snapshot or search answer, the admin API's
// answers to the CLI): a missing field or one of another type reads as 0 or
// "", so an older or newer peer's answer still reads.
#pragma once
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace artery::json_fields {

// The field as an integer (int64 or uint64), else 0.
std::int64_t integer(const boost::json::object& object, std::string_view key);
// The field as a string, else "".
std::string text(const boost::json::object& object, std::string_view key);

}  // namespace artery::json_fields
