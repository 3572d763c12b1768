// FHIR search parameter parser (plugins/fhir/listener/search_query) and the
// search it drives: a query string through the listener's search handler,
// over a real SQLite repository seeded once with the FHIR samples. The first
// input byte picks the resource type (and GET or POST _search), the rest is
// the query. Invariant: an unsupported or malformed parameter is a 400,
// never a 500 (SQL that does not prepare, an exception in the parser).
#include "fhir_listener_under_test.hpp"
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace fs = std::filesystem;

namespace {

const char* const kTypes[] = {"Patient",     "Observation", "Encounter",     "DiagnosticReport", "MedicationRequest",
                              "Bundle",      "Condition",   "Practitioner",  "Organization",     "Consent",
                              "Procedure",   "Location",    "OperationOutcome", "NoSuchType",    "patient",
                              "AllergyIntolerance"};

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A folder of its own for the repository, removed at exit.
struct SeededRepository {
  fs::path dir = fs::temp_directory_path() / ("artery-fuzz-search-" + std::to_string(getpid()));
  std::unique_ptr<artery::fuzz::FhirListenerUnderTest> listener;

  SeededRepository() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    listener = std::make_unique<artery::fuzz::FhirListenerUnderTest>(dir / "fhir.db");
    // Every sample resource, so searches have rows to match and to include.
    for (const auto& entry : fs::directory_iterator(fs::path(ARTERY_SOURCE_DIR) / "tests/fixtures/samples/fhir")) {
      if (entry.path().extension() != ".json") continue;
      std::string json = read_file(entry.path());
      if (json.find("\"Bundle\"") == std::string::npos || json.find("\"response\"") != std::string::npos)
        json = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":" + json + "}]}";
      try {
        listener->api().seed(json);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_fhir_search: seed %s: %s\n", entry.path().filename().c_str(), e.what());
      }
    }
  }
  ~SeededRepository() {
    listener.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

SeededRepository& repository() {
  static SeededRepository instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  artery::fuzz::FuzzInput input(data, size);
  const std::uint8_t pick = input.byte();
  const std::string type = kTypes[pick % std::size(kTypes)];
  std::string query(input.rest());
  std::optional<artery::HttpResponse> answer;
  if (pick & 0x80) {
    // The form-encoded body of POST [type]/_search.
    answer = repository().listener->call("POST", "/fhir/" + type + "/_search", std::move(query));
  } else {
    answer = repository().listener->call("GET", "/fhir/" + type + "?" + query);
  }
  if (answer && answer->status == 500) std::fprintf(stderr, "500: %s\n", answer->body.c_str());
  FUZZ_CHECK(!answer || answer->status != 500);
  return 0;
}
