// plugins/fhir/README.md is the reference of the plugin's options: every key
// fhir_options.cpp declares must have its row there, and every row must be a
// declared key, so neither can drift from the other unnoticed.
#include "fhir_options.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace {

std::string readme() {
  std::ifstream in(std::string(ARTERY_SOURCE_DIR) + "/plugins/fhir/README.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first-column keys of the README's option tables: rows starting "| `key` |".
std::set<std::string> documented_keys(const std::string& text) {
  std::set<std::string> out;
  static const std::regex row(R"(^\| `([a-z_.]+)` \|)");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_search(line, match, row)) out.insert(match[1]);
  }
  return out;
}

std::set<std::string> declared_keys() {
  std::set<std::string> out;
  for (std::size_t i = 0; i < artery::fhir::kSourceOptionCount; ++i) out.insert(artery::fhir::kSourceOptions[i].key);
  for (std::size_t i = 0; i < artery::fhir::kDestinationOptionCount; ++i)
    out.insert(artery::fhir::kDestinationOptions[i].key);
  return out;
}

}  // namespace

TEST_CASE("the README documents every declared fhir option and no other", "[fhir][docs]") {
  const std::string text = readme();
  REQUIRE_FALSE(text.empty());
  const auto documented = documented_keys(text);
  // The message attributes' table has rows too (`fhir.interaction`...): they are not options.
  const std::set<std::string> attributes = {"fhir.interaction", "fhir.resource_type", "fhir.id", "fhir.version",
                                            "remote_address"};
  for (const auto& key : declared_keys()) {
    INFO("declared in fhir_options.cpp, missing from README.md: " << key);
    CHECK(documented.count(key) == 1);
  }
  const auto declared = declared_keys();
  for (const auto& key : documented) {
    if (attributes.count(key)) continue;
    INFO("in README.md but not declared in fhir_options.cpp: " << key);
    CHECK(declared.count(key) == 1);
  }
}

TEST_CASE("the README gives each fhir option the default it is declared with", "[fhir][docs]") {
  const std::string text = readme();
  auto check = [&](const artery::OptionSpec* specs, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      const auto& spec = specs[i];
      if (!spec.default_value || std::string(spec.default_value).empty()) continue;
      // The row of this key: "| `key` | type | `default` | ..." (the first row, where a key is in two tables).
      const std::string head = "\n| `" + std::string(spec.key) + "` |";
      const auto found = text.find(head);
      REQUIRE(found != std::string::npos);
      const auto at = found + 1;
      const std::string row = text.substr(at, text.find('\n', at) - at);
      INFO(row);
      CHECK(row.find("`" + std::string(spec.default_value) + "`") != std::string::npos);
    }
  };
  check(artery::fhir::kSourceOptions, artery::fhir::kSourceOptionCount);
  check(artery::fhir::kDestinationOptions, artery::fhir::kDestinationOptionCount);
}
