// JSON / FHIR resource reader (plugins/fhir/listener): the body of a create,
// an update, a conditional update and a transaction Bundle, through the
// listener's own handlers (parsing, resourceType and id checks, meta,
// search-index rows, Bundle entry planning). The first input byte picks the
// interaction, the rest is the body (a raw resource, starting with '{', is
// a create, or a transaction at the base when it is a Bundle). Invariant: bad input is a 4xx answer,
// never a 500 (an exception escaping the planning).
#include "fhir_listener_under_test.hpp"
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace {

artery::fuzz::FhirListenerUnderTest& listener() {
  static artery::fuzz::FhirListenerUnderTest instance;
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  artery::fuzz::FuzzInput input(data, size);
  const bool raw = input.raw_sample('{');
  std::uint8_t pick = raw ? 0 : input.byte();
  std::string body(input.rest());
  // The resource's own type in the URL, as a client writes it.
  std::string type = "Patient";
  if (auto at = body.find("\"resourceType\""); at != std::string::npos) {
    auto open = body.find('"', body.find(':', at) + 1);
    auto close = open == std::string::npos ? open : body.find('"', open + 1);
    if (close != std::string::npos && close - open < 40) type = body.substr(open + 1, close - open - 1);
  }
  // A raw transaction or batch Bundle goes to the base, as a client sends it.
  if (raw && type == "Bundle" &&
      (body.find("\"transaction\"") != std::string::npos || body.find("\"batch\"") != std::string::npos))
    pick = 3;
  std::optional<artery::HttpResponse> answer;
  switch (pick % 4) {
    case 0: answer = listener().call("POST", "/fhir/" + type, std::move(body)); break;
    case 1: answer = listener().call("PUT", "/fhir/" + type + "/fuzz-1", std::move(body)); break;
    case 2: answer = listener().call("PUT", "/fhir/" + type + "?identifier=urn:fuzz|1", std::move(body)); break;
    default: answer = listener().call("POST", "/fhir", std::move(body)); break;
  }
  if (answer && answer->status == 500) std::fprintf(stderr, "500: %s\n", answer->body.c_str());
  FUZZ_CHECK(!answer || answer->status != 500);
  return 0;
}
