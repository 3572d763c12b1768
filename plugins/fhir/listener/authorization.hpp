// Who may call the listener: a bearer token from a tokens file, or a JWT
// whose signature (RS256, RS384, ES384) is checked with OpenSSL against a
// configured public key or a JWKS file's key (by kid), with exp, nbf, iss and
// aud checked. Either way the caller has SMART scopes, checked per
// interaction: system/Patient.read, system/*.write, SMART v2 letters
// (system/Patient.rs); user/ and patient/ scopes count like system/ here.
#pragma once
#include <artery/http_message.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace artery::fhir {

// The SMART v2 letters of an interaction: c(reate) r(ead) u(pdate) d(elete) s(earch).
enum class Access : char { create = 'c', read = 'r', update = 'u', remove = 'd', search = 's' };

struct AuthorizationSettings {
  enum class Type { none, token, jwt } type = Type::none;
  std::filesystem::path tokens_file;
  std::filesystem::path public_key;
  std::filesystem::path jwks_file;
  std::string issuer;
  std::string audience;
};

class Authorization {
 public:
  // Reads the files now; throws with a clear reason when they are unusable.
  explicit Authorization(const AuthorizationSettings& settings);
  ~Authorization();
  bool enabled() const { return settings_.type != AuthorizationSettings::Type::none; }

  // The scopes of the request's credentials, or a 401 answer.
  struct Caller {
    std::vector<std::string> scopes;
  };
  std::optional<Caller> authenticate(const HttpRequest& request, HttpResponse& refusal) const;
  // Whether `scopes` allow `access` to resources of `type`.
  static bool allows(const std::vector<std::string>& scopes, const std::string& type, Access access);

 private:
  struct Key;
  std::optional<std::vector<std::string>> verify_jwt(const std::string& token, std::string& why) const;

  AuthorizationSettings settings_;
  std::map<std::string, std::vector<std::string>> tokens_;
  std::vector<std::unique_ptr<Key>> keys_;
};

// 403 OperationOutcome naming the scope that was missing.
HttpResponse insufficient_scope(const std::string& type, Access access);

}  // namespace artery::fhir
