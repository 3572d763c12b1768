// The shipped fhir-results-writeback channel as an analyst would turn it on:
// only its addresses changed (MLLP port, the EHR's FHIR base, the token URL),
// its demo key and settings as shipped. The "EHR" is the ehr-fhir repository
// with bearer-token authorization on, and the token endpoint is served here:
// it verifies the SMART client assertion with the JWKS shipped beside the key
// (built with the openssl commands docs/fhir.md gives), so the test also
// proves those commands produce a JWKS that verifies the key's signatures.
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/loopback.hpp"

#include <artery/http_server.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <csignal>
#include <ctime>
#include <map>
#include <mutex>
#include <set>

using namespace artery::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kSource = ARTERY_SOURCE_DIR;
const std::string kClientId = "artery-results-writeback";
const std::string kAccessToken = "tok-writeback-7f3a9c";

std::string base64url_decode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4) text += '=';
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return "";
  out.resize(static_cast<std::size_t>(n) - (text.size() - text.find_last_not_of('=') - 1));
  return out;
}

std::string form_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto end = std::min(body.find('&', start), body.size());
    const std::string pair = body.substr(start, end - start);
    const auto eq = pair.find('=');
    if (eq != std::string::npos) out[form_decode(pair.substr(0, eq))] = form_decode(pair.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

// The P-384 public key of the shipped JWKS's key `kid`.
EVP_PKEY* jwks_public_key(const std::string& kid) {
  const auto jwks = json::parse(read_text(kSource / "channels/keys/fhir-writeback-demo-es384.jwks.json"));
  for (const auto& key : jwks.at("keys").as_array()) {
    if (key.at("kid").as_string() != kid.c_str()) continue;
    REQUIRE(key.at("kty").as_string() == "EC");
    REQUIRE(key.at("crv").as_string() == "P-384");
    const std::string point = std::string("\x04") + base64url_decode(std::string(key.at("x").as_string())) +
                              base64url_decode(std::string(key.at("y").as_string()));
    REQUIRE(point.size() == 97);
    OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0);
    OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* pkey = nullptr;
    const bool ok = EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(build);
    return ok ? pkey : nullptr;
  }
  return nullptr;
}

// ES384: the JWS signature is R||S (48 bytes each); OpenSSL verifies DER.
bool verify_es384(const std::string& signed_part, const std::string& raw_signature, EVP_PKEY* key) {
  if (raw_signature.size() != 96 || !key) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_signature.data()), 48, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_signature.data()) + 48, 48, nullptr));
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const bool ok = der_size > 0 && EVP_DigestVerifyInit(md, nullptr, EVP_sha384(), nullptr, key) == 1 &&
                  EVP_DigestVerify(md, der, static_cast<std::size_t>(der_size),
                                   reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(md);
  OPENSSL_free(der);
  return ok;
}

// A SMART Backend Services token endpoint: checks the request and the client
// assertion as docs/fhir.md says an EHR's must, and answers a bearer token.
class TokenEndpoint {
 public:
  explicit TokenEndpoint(int port) : port_(port) {}
  ~TokenEndpoint() {
    if (server_) server_->stop();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/oauth2/token"; }

  void start() {
    artery::HttpRouter router;
    router.add("POST", "/oauth2/token", [this](const artery::HttpRequest& request) { return answer(request); });
    artery::HttpServerOptions options;
    options.port = static_cast<std::uint16_t>(port_);
    server_ = std::make_unique<artery::HttpServer>(options, std::move(router));
    std::string error;
    if (!server_->start(error)) throw std::runtime_error("token endpoint: " + error);
  }

  struct Seen {
    int requests = 0;
    int granted = 0;
    std::vector<std::string> refusals;
    std::string scope;
    std::set<std::string> jtis;
  };
  Seen seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  artery::HttpResponse refuse(const std::string& why) {
    seen_.refusals.push_back(why);
    return artery::HttpResponse::json(401, "{\"error\":\"invalid_client\",\"error_description\":\"" + why + "\"}");
  }

  artery::HttpResponse answer(const artery::HttpRequest& request) {
    std::lock_guard lock(mutex_);
    ++seen_.requests;
    if (request.headers.get("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0)
      return refuse("not a form");
    auto form = form_fields(request.body);
    if (form["grant_type"] != "client_credentials") return refuse("grant_type");
    if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return refuse("client_assertion_type");
    const std::string jwt = form["client_assertion"];
    const auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
    if (dot1 == std::string::npos || dot2 == dot1) return refuse("not a JWT");
    const auto header = json::parse(base64url_decode(jwt.substr(0, dot1))).as_object();
    const auto claims = json::parse(base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1))).as_object();
    if (header.at("alg").as_string() != "ES384") return refuse("alg");
    if (header.at("typ").as_string() != "JWT") return refuse("typ");
    EVP_PKEY* key = jwks_public_key(std::string(header.at("kid").as_string()));
    const bool verified = verify_es384(jwt.substr(0, dot2), base64url_decode(jwt.substr(dot2 + 1)), key);
    EVP_PKEY_free(key);
    if (!verified) return refuse("signature");
    if (claims.at("iss").as_string() != kClientId.c_str() || claims.at("sub").as_string() != kClientId.c_str())
      return refuse("iss/sub");
    if (claims.at("aud").as_string() != url().c_str()) return refuse("aud");
    const auto exp = claims.at("exp").to_number<std::int64_t>();
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    if (exp < now || exp > now + 300) return refuse("exp");
    const std::string jti(claims.at("jti").as_string());
    if (jti.empty() || !seen_.jtis.insert(jti).second) return refuse("jti reused");
    seen_.scope = form["scope"];
    ++seen_.granted;
    return artery::HttpResponse::json(
        200, "{\"access_token\":\"" + kAccessToken + "\",\"token_type\":\"bearer\",\"expires_in\":300}");
  }

  int port_;
  std::unique_ptr<artery::HttpServer> server_;
  mutable std::mutex mutex_;
  Seen seen_;
};

std::string edited(const std::string& file, const std::vector<std::pair<std::string, std::string>>& edits) {
  std::string yaml = read_text(kSource / "channels" / file);
  for (const auto& [from, to] : edits) {
    const auto at = yaml.find(from);
    INFO(file << ": " << from);
    REQUIRE(at != std::string::npos);
    yaml.replace(at, from.size(), to);
  }
  const auto tests = yaml.find("\ntests:");
  return tests == std::string::npos ? yaml : yaml.substr(0, tests + 1);
}

}  // namespace

TEST_CASE("the shipped fhir-results-writeback channel writes a result back with SMART Backend Services",
          "[integration][fhir][smart]") {
  TempDir dir("artery-writeback");
  const int fhir = free_port(), mllp = free_port(), token_port = free_port();
  TokenEndpoint tokens(token_port);
  tokens.start();
  const std::string base = "http://127.0.0.1:" + std::to_string(fhir) + "/fhir";

  // The EHR: the repository, with only the token this endpoint grants let in.
  write_text(dir / "ehr-tokens.txt", kAccessToken + " system/*.write system/*.read\n");
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/ehr-fhir.yaml",
             edited("ehr-fhir.yaml",
                    {{"listen: 127.0.0.1:8090", "listen: 127.0.0.1:" + std::to_string(fhir)},
                     {"  repository: true\n", "  repository: true\n  authorization: {type: token, tokens_file: " +
                                                  (dir / "ehr-tokens.txt").string() + "}\n"},
                     {"seed: seed/", "seed: " + (kSource / "channels/seed").string() + "/"},
                     {"../scripts/ehr_fhir.lua", (kSource / "scripts/ehr_fhir.lua").string()}}));
  write_text(dir / "channels/fhir-results-writeback.yaml",
             edited("fhir-results-writeback.yaml",
                    {{"enabled: false", "enabled: true"},
                     {"listen: 0.0.0.0:2578", "listen: 127.0.0.1:" + std::to_string(mllp)},
                     {"url: http://127.0.0.1:8090/fhir", "url: " + base},
                     {"token_url: http://127.0.0.1:8090/auth/token", "token_url: " + tokens.url()},
                     {"private_key: keys/", "private_key: " + (kSource / "channels/keys").string() + "/"},
                     {"../scripts/fhir_results_writeback.lua",
                      (kSource / "scripts/fhir_results_writeback.lua").string()}}));
  std::string output;
  REQUIRE(run_artery({"validate", (dir / "channels").string()}, output) == 0);

  EngineProcess engine({"run", "--channels", (dir / "channels").string(), "--data", (dir / "data").string(), "--http",
                        "127.0.0.1:" + std::to_string(free_port())},
                       dir / "engine.log");
  REQUIRE(engine.wait_for_log("running 2 of 2 channels"));
  REQUIRE(wait_for_http(fhir));
  // Without the token the EHR refuses.
  CHECK(http_get(fhir, "/fhir/DiagnosticReport").status == 401);

  REQUIRE(run_artery({"send", "mllp", "127.0.0.1:" + std::to_string(mllp),
                      (kSource / "examples/data/oru_k_high.hl7").string()},
                     output) == 0);
  const std::vector<std::pair<std::string, std::string>> bearer = {{"Authorization", "Bearer " + kAccessToken}};
  json::object found;
  const bool arrived = eventually(
      [&] {
        const auto reply = http_get(fhir, "/fhir/DiagnosticReport?identifier=FIL1001", bearer);
        if (reply.status != 200) return false;
        found = json::parse(reply.body).as_object();
        return found.at("total").as_int64() == 1;
      },
      std::chrono::seconds(20));
  const auto seen = tokens.seen();
  std::string refusals;
  for (const auto& why : seen.refusals) refusals += why + "\n";
  INFO("token endpoint refusals:\n" << refusals << "engine log:\n" << engine.log());
  REQUIRE(arrived);
  CHECK(seen.granted == 1);  // one token, reused for the delivery
  CHECK(seen.refusals.empty());
  CHECK(seen.scope == "system/Patient.write system/Observation.write system/DiagnosticReport.write");

  const auto& report = found.at("entry").at(0).at("resource").as_object();
  CHECK(report.at("result").as_array().size() == 2);
  const std::string patient(report.at("subject").at("reference").as_string());
  const auto observations =
      json::parse(http_get(fhir, "/fhir/Observation?subject=" + patient + "&code=http://loinc.org%7C2823-3", bearer).body);
  REQUIRE(observations.at("total").as_int64() == 1);
  CHECK(observations.at("entry").at(0).at("resource").at("valueQuantity").at("value").to_number<double>() ==
        Approx(6.2));
  CHECK(engine.stop(SIGTERM) == 0);
}

TEST_CASE("fhir-results-writeback without writing the Patient refers to the EHR's patient by identifier",
          "[integration][fhir][smart]") {
  // The script's switch for EHRs that do not let interfaces write Patients,
  // flipped in a copy, run offline with `artery test`.
  TempDir dir("artery-writeback-ref");
  std::string script = read_text(kSource / "scripts/fhir_results_writeback.lua");
  const std::string flag = "local WRITE_PATIENT = true";
  REQUIRE(script.find(flag) != std::string::npos);
  script.replace(script.find(flag), flag.size(), "local WRITE_PATIENT = false");
  write_text(dir / "scripts/writeback.lua", script);
  fs::create_directories(dir / "channels");
  write_text(dir / "channels/writeback.yaml",
             "name: writeback\nsource: {type: mllp, listen: 127.0.0.1:" + std::to_string(free_port()) +
                 "}\nscript: ../scripts/writeback.lua\ntests:\n  - name: potassium\n    input: " +
                 (kSource / "examples/data/oru_k_high.hl7").string() +
                 "\n    expect:\n      output_contains: '\"type\":\"transaction\"'\n");
  // fhir.v2_to_fhir is found through ../scripts/lib from the channel file: give it the real one.
  fs::create_directory_symlink(kSource / "scripts/lib", dir / "scripts/lib");
  std::string output;
  const int code = run_artery({"test", "--verbose", (dir / "channels/writeback.yaml").string()}, output);
  INFO(output);
  REQUIRE(code == 0);
  CHECK(output.find("\"resourceType\":\"Patient\"") == std::string::npos);
  const std::string conditional = "\"reference\":\"Patient?identifier=urn:artery:assigning-authority:HOSP|555444222\"";
  // The DiagnosticReport and both Observations point at the EHR's patient.
  std::size_t count = 0;
  for (auto at = output.find(conditional); at != std::string::npos; at = output.find(conditional, at + 1)) ++count;
  CHECK(count == 3);
  CHECK(output.find("urn:uuid:") != std::string::npos);  // the results still refer to each other in the Bundle
}
