// The FHIR server + OAuth2 token endpoint the client tests talk to:
// tests/fixtures/fhir_auth/fhir_auth_server.py (Debian's python3 with
// python3-cryptography) as a process on a loopback port, and the events it
// logged (one JSON object per answered request).
#pragma once
#include <boost/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace artery::fhir::testing {

class FhirAuthServer {
 public:
  // `args` after --port/--log, e.g. {"--public-key", pem, "--alg", "ES384"}.
  // With `cert`/`key` it serves https. Throws when it does not come up.
  FhirAuthServer(int port, const std::filesystem::path& dir, std::vector<std::string> args,
                 const std::string& cert = {}, const std::string& key = {});
  ~FhirAuthServer();
  FhirAuthServer(const FhirAuthServer&) = delete;
  FhirAuthServer& operator=(const FhirAuthServer&) = delete;

  int port() const { return port_; }
  std::string base(bool tls) const { return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_); }
  // Every event so far; `kind` filters ("token", "fhir", "discovery").
  std::vector<boost::json::object> events(const std::string& kind = {}) const;

 private:
  int port_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// RSA (rsa.key/rsa.pub) and EC P-384 (ec.key/ec.pub) key pairs made with the
// openssl CLI in `dir`, plus a second RSA pair (other_rsa.key) nobody trusts.
void make_client_keys(const std::filesystem::path& dir);

std::string text_of(const boost::json::object& event, const char* key);

}  // namespace artery::fhir::testing
