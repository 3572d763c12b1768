// A request target's query, split the way HttpServer hands it to handlers.
// Engine-internal; the fuzz targets that call handlers without a socket
// (fuzz/routed_request.hpp) split their queries with it too.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace artery {

// "a=1&b=x+y&c" -> [(a,1),(b,"x y"),(c,"")], percent-decoded, '+' as space,
// empty pairs skipped. False on a bad escape (the server answers 400).
bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace artery
