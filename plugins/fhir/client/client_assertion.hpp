// The SMART Backend Services client assertion (RFC 7523 private_key_jwt):
// a JWT signed with the client's private key, RS384 (RSA PKCS#1 v1.5 over
// SHA-384) or ES384 (ECDSA P-384 over SHA-384, the signature as raw R||S,
// 96 bytes, as JWS wants it, not OpenSSL's DER).
//
// Header {alg, kid, typ: "JWT"}; claims iss = sub = client id, aud = the
// token endpoint, a fresh random jti, iat = now and exp = now + 5 minutes
// (the most SMART allows).
#pragma once
#include <chrono>
#include <memory>
#include <string>

namespace artery::fhir {

class ClientAssertionSigner {
 public:
  // Throws std::runtime_error when the PEM is not a private key of the kind
  // the algorithm needs (RSA for RS384, EC P-384 for ES384).
  ClientAssertionSigner(const std::string& private_key_pem, std::string algorithm, std::string kid);
  ~ClientAssertionSigner();
  ClientAssertionSigner(const ClientAssertionSigner&) = delete;
  ClientAssertionSigner& operator=(const ClientAssertionSigner&) = delete;

  static constexpr std::chrono::seconds kLifetime{300};

  // A new assertion for this client id and token endpoint. Throws on an OpenSSL failure.
  std::string sign(const std::string& client_id, const std::string& token_url) const;

 private:
  struct Key;
  std::unique_ptr<Key> key_;
  std::string algorithm_;
  std::string kid_;
};

}  // namespace artery::fhir
