#include "cli/text_diff.hpp"

#include <vector>

namespace artery::cli {
namespace {
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
  }
  return lines;
}
}  // namespace

std::string line_diff(std::string_view expected, std::string_view actual) {
  auto a = lines_of(expected), b = lines_of(actual);
  constexpr std::size_t kMax = 2000;  // beyond this a quadratic diff is not worth it
  if (a.size() > kMax || b.size() > kMax) return "(outputs too long to diff; " + std::to_string(a.size()) +
                                                     " vs " + std::to_string(b.size()) + " lines)\n";
  // Longest common subsequence table, then walk it to emit the edit script.
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Row {
    char mark;
    std::string_view text;
  };
  std::vector<Row> rows;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      rows.push_back({' ', a[i]});
      ++i, ++j;
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
      rows.push_back({'+', b[j++]});
    } else {
      rows.push_back({'-', a[i++]});
    }
  }
  // Print changes with two lines of context around them.
  std::string out = "--- expected\n+++ actual\n";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    bool near = false;
    for (std::size_t d = (k >= 2 ? k - 2 : 0); d < std::min(rows.size(), k + 3) && !near; ++d)
      near = rows[d].mark != ' ';
    if (!near) continue;
    out += rows[k].mark;
    out += rows[k].text;
    out += '\n';
  }
  return out;
}

}  // namespace artery::cli
