// A FHIR search request turned into SQL over `resources` and `search_index`.
// Parsing refuses what the listener does not support (an unknown parameter,
// modifier or prefix) with a SearchError, answered 400, rather than silently
// returning more than was asked for.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace artery::fhir {

struct SearchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class SearchTerms;

// A keyed hash (search_terms.hpp), bound as a BLOB.
struct SqlBlob {
  std::string bytes;
};
using SqlValue = std::variant<std::string, std::int64_t, SqlBlob>;

struct SearchQuery {
  std::string type;
  std::string where;  // SQL over `resources r` (already restricted to the type and not deleted)
  std::vector<SqlValue> binds;
  std::string order;  // "ORDER BY ..."
  std::int64_t count = 50;
  std::int64_t offset = 0;
  bool summary_count = false;  // _summary=count: total only
  std::vector<std::string> includes;  // index names of references to include ("subject")
  // The parameters as understood, for Bundle.link (without _offset).
  std::vector<std::pair<std::string, std::string>> canonical;
};

// `terms`: how the repository's index holds values (Repository::terms());
// plain unless encryption is on, when values are looked up by keyed hash.
SearchQuery parse_search(const std::string& type, const std::vector<std::pair<std::string, std::string>>& params,
                         std::int64_t page_size, std::int64_t max_page_size, const SearchTerms& terms);
SearchQuery parse_search(const std::string& type, const std::vector<std::pair<std::string, std::string>>& params,
                         std::int64_t page_size, std::int64_t max_page_size);

}  // namespace artery::fhir
