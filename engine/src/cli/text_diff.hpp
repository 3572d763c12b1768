// A readable line diff for test failures: "-expected" / "+actual" lines with
// a little unchanged context, as diff -u shows them.
#pragma once
#include <string>
#include <string_view>

namespace artery::cli {
std::string line_diff(std::string_view expected, std::string_view actual);
}
