#include "listener/authorization.hpp"

#include "base64url.hpp"
#include "listener/fhir_http.hpp"

#include <boost/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace artery::fhir {
namespace json = boost::json;

struct Authorization::Key {
  std::string kid;
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

std::string read_file(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("authorization.") + what + " " + file.string() + ": cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

BIGNUM* bignum(const json::object& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->value().is_string()) return nullptr;
  auto bytes = base64url_decode(it->value().get_string());
  if (!bytes) return nullptr;
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes->data()), static_cast<int>(bytes->size()), nullptr);
}

// A JWK (RSA n/e, or EC P-384 x/y) as an OpenSSL key.
EVP_PKEY* key_from_jwk(const json::object& jwk) {
  std::string kty = jwk.contains("kty") && jwk.at("kty").is_string() ? std::string(jwk.at("kty").get_string()) : "";
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  EVP_PKEY* pkey = nullptr;
  BIGNUM* a = nullptr;
  BIGNUM* b = nullptr;
  const char* algorithm = nullptr;
  std::string point;
  if (kty == "RSA") {
    a = bignum(jwk, "n");
    b = bignum(jwk, "e");
    if (a && b) {
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, a);
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, b);
      algorithm = "RSA";
    }
  } else if (kty == "EC") {
    auto x = jwk.contains("x") ? base64url_decode(jwk.at("x").as_string()) : std::nullopt;
    auto y = jwk.contains("y") ? base64url_decode(jwk.at("y").as_string()) : std::nullopt;
    if (x && y && x->size() == 48 && y->size() == 48) {
      point = std::string(1, '\x04') + *x + *y;  // uncompressed P-384 point
      OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0);
      OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
      algorithm = "EC";
    }
  }
  if (algorithm) {
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr);
    if (ctx && params && EVP_PKEY_fromdata_init(ctx) > 0) EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
  }
  BN_free(a);
  BN_free(b);
  OSSL_PARAM_BLD_free(build);
  return pkey;
}

// JOSE ECDSA signatures are R||S; OpenSSL verifies DER.
std::optional<std::string> raw_to_der(const std::string& raw) {
  if (raw.size() != 96) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 48, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 48, 48, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

bool verify_signature(EVP_PKEY* key, const std::string& alg, std::string_view signed_part, const std::string& sig) {
  const EVP_MD* md = alg == "RS256" ? EVP_sha256() : EVP_sha384();
  const bool ec = alg == "ES384";
  if (ec != (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)) return false;  // the key's kind must match alg
  std::string signature = sig;
  if (ec) {
    auto der = raw_to_der(sig);
    if (!der) return false;
    signature = *der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

HttpResponse unauthorized(const std::string& why) {
  auto r = outcome_response(401, why, "login");
  r.headers.set("WWW-Authenticate", "Bearer realm=\"fhir\", error=\"invalid_token\"");
  return r;
}

std::string access_name(Access a) {
  switch (a) {
    case Access::create: return "create";
    case Access::read: return "read";
    case Access::update: return "update";
    case Access::remove: return "delete";
    case Access::search: return "search";
  }
  return "read";
}

}  // namespace

Authorization::Authorization(const AuthorizationSettings& settings) : settings_(settings) {
  using Type = AuthorizationSettings::Type;
  if (settings_.type == Type::token) {
    if (settings_.tokens_file.empty()) throw std::runtime_error("authorization.type token needs authorization.tokens_file");
    std::istringstream lines(read_file(settings_.tokens_file, "tokens_file"));
    std::string line;
    while (std::getline(lines, line)) {
      auto w = words(line);
      if (w.empty() || w[0][0] == '#') continue;
      tokens_[w[0]] = std::vector<std::string>(w.begin() + 1, w.end());
    }
    if (tokens_.empty()) throw std::runtime_error("authorization.tokens_file " + settings_.tokens_file.string() + " has no tokens");
  } else if (settings_.type == Type::jwt) {
    if (!settings_.public_key.empty()) {
      std::string pem = read_file(settings_.public_key, "public_key");
      BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
      auto key = std::make_unique<Key>();
      key->pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
      BIO_free(bio);
      if (!key->pkey) throw std::runtime_error("authorization.public_key " + settings_.public_key.string() + ": not a PEM public key");
      keys_.push_back(std::move(key));
    }
    if (!settings_.jwks_file.empty()) {
      boost::system::error_code ec;
      json::value jwks = json::parse(read_file(settings_.jwks_file, "jwks_file"), ec);
      if (ec || !jwks.is_object() || !jwks.as_object().contains("keys") || !jwks.at("keys").is_array())
        throw std::runtime_error("authorization.jwks_file " + settings_.jwks_file.string() + ": not a JWKS ({\"keys\": [...]})");
      for (const auto& item : jwks.at("keys").as_array()) {
        if (!item.is_object()) continue;
        auto key = std::make_unique<Key>();
        key->pkey = key_from_jwk(item.as_object());
        if (!key->pkey) throw std::runtime_error("authorization.jwks_file: a key is not an RSA or EC P-384 public JWK");
        if (auto it = item.as_object().find("kid"); it != item.as_object().end() && it->value().is_string())
          key->kid = std::string(it->value().get_string());
        keys_.push_back(std::move(key));
      }
    }
    if (keys_.empty()) throw std::runtime_error("authorization.type jwt needs authorization.public_key or authorization.jwks_file");
  }
}

Authorization::~Authorization() = default;

std::optional<std::vector<std::string>> Authorization::verify_jwt(const std::string& token, std::string& why) const {
  auto first = token.find('.');
  auto second = first == std::string::npos ? std::string::npos : token.find('.', first + 1);
  if (second == std::string::npos) {
    why = "the bearer token is not a JWT";
    return std::nullopt;
  }
  auto header_bytes = base64url_decode(std::string_view(token).substr(0, first));
  auto payload_bytes = base64url_decode(std::string_view(token).substr(first + 1, second - first - 1));
  auto signature = base64url_decode(std::string_view(token).substr(second + 1));
  boost::system::error_code ec;
  json::value header = header_bytes ? json::parse(*header_bytes, ec) : json::value();
  json::value payload = (!ec && payload_bytes) ? json::parse(*payload_bytes, ec) : json::value();
  if (ec || !header.is_object() || !payload.is_object() || !signature) {
    why = "the JWT cannot be decoded";
    return std::nullopt;
  }
  const auto& h = header.as_object();
  std::string alg = h.contains("alg") && h.at("alg").is_string() ? std::string(h.at("alg").get_string()) : "";
  if (alg != "RS256" && alg != "RS384" && alg != "ES384") {
    why = "JWT alg '" + alg + "' is not accepted (RS256, RS384, ES384 are)";
    return std::nullopt;
  }
  std::string kid = h.contains("kid") && h.at("kid").is_string() ? std::string(h.at("kid").get_string()) : "";
  const std::string_view signed_part = std::string_view(token).substr(0, second);
  bool verified = false;
  for (const auto& key : keys_) {
    if (!kid.empty() && !key->kid.empty() && key->kid != kid) continue;
    if (verify_signature(key->pkey, alg, signed_part, *signature)) {
      verified = true;
      break;
    }
  }
  if (!verified) {
    why = "the JWT's signature does not verify with the configured key" + (kid.empty() ? "" : " (kid " + kid + ")");
    return std::nullopt;
  }
  const auto& claims = payload.as_object();
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto number = [&](const char* name) -> std::optional<double> {
    auto it = claims.find(name);
    if (it == claims.end() || !it->value().is_number()) return std::nullopt;
    return it->value().to_number<double>();
  };
  auto exp = number("exp");
  if (!exp || *exp <= now) {
    why = exp ? "the JWT has expired" : "the JWT has no exp";
    return std::nullopt;
  }
  if (auto nbf = number("nbf"); nbf && *nbf > now + 1) {
    why = "the JWT is not valid yet (nbf)";
    return std::nullopt;
  }
  if (!settings_.issuer.empty()) {
    auto it = claims.find("iss");
    if (it == claims.end() || !it->value().is_string() || it->value().get_string() != settings_.issuer) {
      why = "the JWT's iss is not " + settings_.issuer;
      return std::nullopt;
    }
  }
  if (!settings_.audience.empty()) {
    bool match = false;
    if (auto it = claims.find("aud"); it != claims.end()) {
      if (it->value().is_string()) match = it->value().get_string() == settings_.audience;
      if (it->value().is_array())
        for (const auto& a : it->value().get_array()) match = match || (a.is_string() && a.get_string() == settings_.audience);
    }
    if (!match) {
      why = "the JWT's aud does not include " + settings_.audience;
      return std::nullopt;
    }
  }
  std::vector<std::string> scopes;
  if (auto it = claims.find("scope"); it != claims.end() && it->value().is_string()) scopes = words(it->value().get_string());
  if (auto it = claims.find("scp"); it != claims.end() && it->value().is_array())
    for (const auto& s : it->value().get_array())
      if (s.is_string()) scopes.emplace_back(s.get_string());
  return scopes;
}

std::optional<Authorization::Caller> Authorization::authenticate(const HttpRequest& request, HttpResponse& refusal) const {
  if (!enabled()) return Caller{{"system/*.*"}};
  const std::string header = request.headers.get("Authorization");
  if (header.size() < 8 || (header.compare(0, 7, "Bearer ") != 0 && header.compare(0, 7, "bearer ") != 0)) {
    refusal = unauthorized("this server needs Authorization: Bearer <token>");
    return std::nullopt;
  }
  std::string token = header.substr(7);
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (settings_.type == AuthorizationSettings::Type::token) {
    auto it = tokens_.find(token);
    if (it == tokens_.end()) {
      refusal = unauthorized("the bearer token is not known");
      return std::nullopt;
    }
    return Caller{it->second};
  }
  std::string why;
  auto scopes = verify_jwt(token, why);
  if (!scopes) {
    refusal = unauthorized(why);
    return std::nullopt;
  }
  return Caller{std::move(*scopes)};
}

bool Authorization::allows(const std::vector<std::string>& scopes, const std::string& type, Access access) {
  const char letter = static_cast<char>(access);
  for (const auto& scope : scopes) {
    auto slash = scope.find('/');
    if (slash == std::string::npos) continue;
    std::string context = scope.substr(0, slash);
    if (context != "system" && context != "user" && context != "patient") continue;
    auto dot = scope.find('.', slash);
    if (dot == std::string::npos) continue;
    std::string scope_type = scope.substr(slash + 1, dot - slash - 1);
    if (scope_type != "*" && scope_type != type) continue;
    std::string what = scope.substr(dot + 1);
    if (auto q = what.find('?'); q != std::string::npos) what.resize(q);  // v2 query-constrained: treated as the whole type
    if (what == "*") return true;
    if (what == "read" && (letter == 'r' || letter == 's')) return true;
    if (what == "write" && (letter == 'c' || letter == 'u' || letter == 'd')) return true;
    if (what != "read" && what != "write" && what.find(letter) != std::string::npos &&
        what.find_first_not_of("cruds") == std::string::npos)
      return true;
  }
  return false;
}

HttpResponse insufficient_scope(const std::string& type, Access access) {
  auto r = outcome_response(403, "the token's scopes do not allow " + access_name(access) + " of " + type +
                                     " (for example system/" + type + "." +
                                     (access == Access::read || access == Access::search ? "read" : "write") + ")",
                            "forbidden");
  r.headers.set("WWW-Authenticate", "Bearer realm=\"fhir\", error=\"insufficient_scope\"");
  return r;
}

}  // namespace artery::fhir
