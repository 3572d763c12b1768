#include "client/client_assertion.hpp"

#include "base64url.hpp"

#include <boost/json.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace artery::fhir {
namespace {

std::string openssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char text[256] = "";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return what + (code != 0 ? std::string(": ") + text : std::string());
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error(openssl_error("RAND_bytes"));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace

struct ClientAssertionSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

ClientAssertionSigner::ClientAssertionSigner(const std::string& private_key_pem, std::string algorithm,
                                             std::string kid)
    : key_(std::make_unique<Key>()), algorithm_(std::move(algorithm)), kid_(std::move(kid)) {
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  if (!bio) throw std::runtime_error(openssl_error("auth.private_key"));
  key_->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key_->pkey) throw std::runtime_error(openssl_error("auth.private_key: not a PEM private key (or encrypted)"));
  const int type = EVP_PKEY_get_base_id(key_->pkey);
  if (algorithm_ == "RS384" && type != EVP_PKEY_RSA)
    throw std::runtime_error("auth.private_key: auth.algorithm RS384 needs an RSA key");
  if (algorithm_ == "ES384") {
    if (type != EVP_PKEY_EC || EVP_PKEY_get_bits(key_->pkey) != 384)
      throw std::runtime_error("auth.private_key: auth.algorithm ES384 needs an EC P-384 key");
  }
}

ClientAssertionSigner::~ClientAssertionSigner() = default;

std::string ClientAssertionSigner::sign(const std::string& client_id, const std::string& token_url) const {
  boost::json::object header{{"alg", algorithm_}, {"typ", "JWT"}};
  if (!kid_.empty()) header["kid"] = kid_;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  boost::json::object claims{{"iss", client_id},
                             {"sub", client_id},
                             {"aud", token_url},
                             {"jti", random_hex(16)},
                             {"iat", now},
                             {"exp", now + kLifetime.count()}};
  const std::string input =
      base64url_encode(boost::json::serialize(header)) + "." + base64url_encode(boost::json::serialize(claims));

  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (!md) throw std::runtime_error(openssl_error("EVP_MD_CTX_new"));
  std::string signature;
  std::size_t length = 0;
  const bool ok = EVP_DigestSignInit(md, nullptr, EVP_sha384(), nullptr, key_->pkey) == 1 &&
                  EVP_DigestSign(md, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                                 input.size()) == 1 &&
                  (signature.resize(length), true) &&
                  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(signature.data()), &length,
                                 reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) throw std::runtime_error(openssl_error("signing the client assertion"));
  signature.resize(length);

  if (algorithm_ == "ES384") {
    // OpenSSL gives ECDSA-Sig-Value in DER; JWS (RFC 7518 3.4) wants R and S
    // as two 48-byte big-endian numbers side by side.
    const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size()));
    if (!sig) throw std::runtime_error(openssl_error("reading the ECDSA signature"));
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    std::string raw(96, '\0');
    const bool packed = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 48) == 48 &&
                        BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 48, 48) == 48;
    ECDSA_SIG_free(sig);
    if (!packed) throw std::runtime_error("the ECDSA signature does not fit P-384");
    signature = std::move(raw);
  }
  return input + "." + base64url_encode(signature);
}

}  // namespace artery::fhir
