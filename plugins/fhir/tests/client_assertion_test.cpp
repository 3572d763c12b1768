// The test token endpoint is only worth trusting if it refuses what a real
// authorization server refuses: the same client assertion twice (jti), one
// signed by a key it does not know, one for another audience. Assertions
// made by the plugin's own ClientAssertionSigner, sent over real HTTP.
#include "client/client_assertion.hpp"
#include "client_test_server.hpp"

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <artery/http_client.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace artery::testing;
using namespace artery::fhir::testing;
namespace fs = std::filesystem;

namespace {

std::string file_text(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

HttpReply post_assertion(int port, const std::string& assertion) {
  return http_request(port, {"POST", "/token", {{"Content-Type", "application/x-www-form-urlencoded"}},
                             "grant_type=client_credentials&client_assertion_type=" +
                                 artery::url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                                 "&client_assertion=" + artery::url_encode(assertion)});
}

}  // namespace

TEST_CASE("the test token endpoint refuses a reused jti, a foreign key and a wrong aud, for RS384 and ES384",
          "[fhir][client]") {
  TempDir dir("artery-fhir-assertion");
  make_client_keys(dir / "keys");
  for (const std::string alg : {"RS384", "ES384"}) {
    INFO(alg);
    const std::string pub = alg == "RS384" ? "rsa.pub" : "ec.pub";
    const std::string key = alg == "RS384" ? "rsa.key" : "ec.key";
    FhirAuthServer server(free_port(), dir / alg,
                          {"--public-key", (dir / "keys" / pub).string(), "--alg", alg, "--kid", "k", "--client-id",
                           "c"});
    const std::string token_url = server.base(false) + "/token";
    artery::fhir::ClientAssertionSigner signer(file_text(dir / "keys" / key), alg, "k");
    const std::string assertion = signer.sign("c", token_url);
    CHECK(post_assertion(server.port(), assertion).status == 200);
    auto again = post_assertion(server.port(), assertion);
    CHECK(again.status == 401);
    CHECK_THAT(again.body, Catch::Contains("was used before"));
    // A fresh assertion each time is accepted.
    CHECK(post_assertion(server.port(), signer.sign("c", token_url)).status == 200);
    auto wrong_aud = post_assertion(server.port(), signer.sign("c", server.base(false) + "/other"));
    CHECK(wrong_aud.status == 401);
    CHECK_THAT(wrong_aud.body, Catch::Contains("aud is"));
    auto wrong_iss = post_assertion(server.port(), signer.sign("someone-else", token_url));
    CHECK_THAT(wrong_iss.body, Catch::Contains("iss is"));
    if (alg == "RS384") {
      artery::fhir::ClientAssertionSigner stranger(file_text(dir / "keys/other_rsa.key"), alg, "k");
      auto foreign = post_assertion(server.port(), stranger.sign("c", token_url));
      CHECK(foreign.status == 401);
      CHECK_THAT(foreign.body, Catch::Contains("bad signature"));
      artery::fhir::ClientAssertionSigner other_kid(file_text(dir / "keys/rsa.key"), alg, "k2");
      CHECK_THAT(post_assertion(server.port(), other_kid.sign("c", token_url)).body, Catch::Contains("kid is"));
    }
  }
  // The signer refuses a key of the wrong kind at once.
  CHECK_THROWS_WITH(artery::fhir::ClientAssertionSigner(file_text(dir / "keys/rsa.key"), "ES384", ""),
                    Catch::Contains("EC P-384"));
}
