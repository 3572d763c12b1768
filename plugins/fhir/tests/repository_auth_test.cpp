// The listener's authorization over real HTTP: bearer tokens from a tokens
// file, and JWTs (RS384 with a PEM public key, ES384 with a JWKS key by kid)
// signed here with OpenSSL; SMART scopes enforced per interaction.
#include "base64url.hpp"
#include "repository_fixture.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>

using namespace artery::testing;
using artery::fhir::base64url_encode;

namespace {

const std::string kPatient = R"({"resourceType":"Patient","name":[{"family":"Auth"}]})";

std::pair<std::string, std::string> bearer(const std::string& token) { return {"Authorization", "Bearer " + token}; }

struct Key {
  EVP_PKEY* pkey;
  explicit Key(bool ec) : pkey(ec ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")
                                  : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))) {}
  ~Key() { EVP_PKEY_free(pkey); }
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, pkey);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  }
  std::string jwk(const std::string& kid) const {
    unsigned char point[200];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len);
    std::string p(reinterpret_cast<char*>(point), len);
    return R"({"kty":"EC","crv":"P-384","kid":")" + kid + R"(","x":")" + base64url_encode(p.substr(1, 48)) +
           R"(","y":")" + base64url_encode(p.substr(49, 48)) + "\"}";
  }
  std::string sign(const std::string& alg, const std::string& kid, const std::string& claims) const {
    std::string header = R"({"alg":")" + alg + R"(","typ":"JWT")" + (kid.empty() ? "" : R"(,"kid":")" + kid + "\"") + "}";
    std::string input = base64url_encode(header) + "." + base64url_encode(claims);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, pkey);
    size_t n = 0;
    EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    std::string sig(n, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(n);
    EVP_MD_CTX_free(ctx);
    if (alg == "ES384") {  // DER -> JOSE R||S
      const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
      ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
      unsigned char raw[96];
      BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 48);
      BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 48, 48);
      ECDSA_SIG_free(es);
      sig.assign(reinterpret_cast<char*>(raw), 96);
    }
    return input + "." + base64url_encode(sig);
  }
};

long now_s() {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count());
}

std::string claims(const std::string& scope, long exp_offset = 300, const std::string& aud = "https://artery.test/fhir",
                   const std::string& iss = "https://issuer.test") {
  return R"({"iss":")" + iss + R"(","sub":"backend","aud":")" + aud + R"(","exp":)" + std::to_string(now_s() + exp_offset) +
         R"(,"nbf":)" + std::to_string(now_s() - 10) + R"(,"scope":")" + scope + "\"}";
}

}  // namespace

TEST_CASE("fhir repository auth: bearer tokens from tokens_file, 401 without, 403 without the scope") {
  TempDir keys{"artery-fhir-auth"};
  write_text(keys / "tokens.txt",
             "# token then scopes\nreader-token system/Patient.read\nwriter-token system/*.write system/*.read\n"
             "user-token user/Patient.rs\n");
  FhirRepository repo("  authorization:\n    type: token\n    tokens_file: " + (keys / "tokens.txt").string() + "\n");
  auto none = repo.call("POST", "/Patient", kPatient);
  require_outcome(none, 401);
  CHECK(none.header("www-authenticate").find("Bearer") == 0);
  require_outcome(repo.call("GET", "/Patient", "", {bearer("wrong")}), 401);
  require_outcome(repo.call("POST", "/Patient", kPatient, {bearer("reader-token")}), 403);
  auto created = repo.call("POST", "/Patient", kPatient, {bearer("writer-token")});
  REQUIRE(created.status == 201);
  const std::string id = str(json_of(created).at("id"));
  CHECK(repo.call("GET", "/Patient/" + id, "", {bearer("reader-token")}).status == 200);
  CHECK(repo.call("GET", "/Patient?family=Auth", "", {bearer("user-token")}).status == 200);
  require_outcome(repo.call("GET", "/Observation", "", {bearer("reader-token")}), 403);
  require_outcome(repo.call("DELETE", "/Patient/" + id, "", {bearer("user-token")}), 403);
  // A transaction is checked entry by entry.
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]})";
  require_outcome(repo.call("POST", "", tx, {bearer("reader-token")}), 403);
  CHECK(repo.call("POST", "", tx, {bearer("writer-token")}).status == 200);
  CHECK(repo.call("GET", "/metadata").status == 200);  // the CapabilityStatement is public
}

TEST_CASE("fhir repository auth: JWTs signed RS384 (public_key) and ES384 (jwks_file by kid)") {
  TempDir keys{"artery-fhir-jwt"};
  Key rsa(false), ec(true), stranger(true);
  write_text(keys / "rsa.pem", rsa.public_pem());
  write_text(keys / "jwks.json", "{\"keys\":[" + ec.jwk("ec-1") + "]}");
  FhirRepository repo("  authorization:\n    type: jwt\n    public_key: " + (keys / "rsa.pem").string() +
                      "\n    jwks_file: " + (keys / "jwks.json").string() +
                      "\n    issuer: https://issuer.test\n    audience: https://artery.test/fhir\n");
  CHECK(repo.call("POST", "/Patient", kPatient, {bearer(rsa.sign("RS384", "", claims("system/*.write")))}).status == 201);
  CHECK(repo.call("GET", "/Patient", "", {bearer(ec.sign("ES384", "ec-1", claims("system/Patient.read")))}).status == 200);
  require_outcome(repo.call("POST", "/Patient", kPatient, {bearer(ec.sign("ES384", "ec-1", claims("system/Patient.read")))}), 403);
  auto refused = [&](const std::string& token) { require_outcome(repo.call("GET", "/Patient", "", {bearer(token)}), 401); };
  refused(stranger.sign("ES384", "ec-1", claims("system/*.*")));                     // not our key
  refused(rsa.sign("RS384", "", claims("system/*.*", -60)));                         // expired
  refused(rsa.sign("RS384", "", claims("system/*.*", 300, "https://elsewhere")));    // wrong aud
  refused(rsa.sign("RS384", "", claims("system/*.*", 300, "https://artery.test/fhir", "https://evil")));  // wrong iss
  std::string token = rsa.sign("RS384", "", claims("system/*.*"));
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';              // tampered signature
  refused(token);
  refused("not-a-jwt");
}
