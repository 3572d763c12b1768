// "Did you mean ...?" for misspelt keys and plugin types.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace artery::config {

// The candidate closest to `word` by edit distance, or "" when none is close
// enough to be a likely typo (about a third of the word's length).
std::string closest_name(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace artery::config
