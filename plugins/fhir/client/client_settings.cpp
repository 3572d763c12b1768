#include "client/client_settings.hpp"

#include <artery/tls_settings.hpp>

#include <fstream>
#include <sstream>

namespace artery::fhir {

ClientSettings read_client_settings(OptionReader& read, const std::filesystem::path& base_dir, bool url_required) {
  ClientSettings out;
  std::string url = url_required ? read.required("url") : read.string("url");
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.empty()) {
    std::string problem;
    auto parsed = HttpUrl::parse(url, problem);
    if (!parsed) read.fail("url", problem);
    else if (parsed->target.find('?') != std::string::npos)
      read.fail("url", "the base URL cannot carry a query ('" + url + "')");
  }
  out.base_url = url;

  const auto timeout = read.duration("timeout");
  out.http.connect_timeout = timeout;
  out.http.request_timeout = timeout;
  out.http.tls = read_client_tls(read, base_dir);
  // read_client_tls pairs cert and key only for a TLS listener's tls.enabled;
  // a client certificate is this connector's either way.
  if (out.http.tls.cert.empty() != out.http.tls.key.empty()) read.fail("tls", "tls.cert and tls.key go together");
  out.http.tls.enabled = true;

  AuthSettings& auth = out.auth;
  const auto type = read.choice("auth.type", {"none", "bearer", "basic", "client_credentials", "smart_backend"});
  auth.type = static_cast<AuthSettings::Type>(type);
  switch (auth.type) {
    case AuthSettings::Type::none:
      break;
    case AuthSettings::Type::bearer:
      auth.token = read.required("auth.token");
      break;
    case AuthSettings::Type::basic:
      auth.username = read.required("auth.username");
      auth.password = read.string("auth.password");
      break;
    case AuthSettings::Type::client_credentials:
      auth.client_id = read.required("auth.client_id");
      auth.client_secret = read.required("auth.client_secret");
      break;
    case AuthSettings::Type::smart_backend: {
      auth.client_id = read.required("auth.client_id");
      const auto key = read.path("auth.private_key", base_dir);
      if (key.empty()) {
        read.fail("auth.private_key", "smart_backend needs the PEM private key signing its client assertions");
        break;
      }
      std::ifstream in(key, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in) read.fail("auth.private_key", "cannot read " + key.string());
      auth.private_key_pem = text.str();
      auth.algorithm = read.choice("auth.algorithm", {"RS384", "ES384"}) == 0 ? "RS384" : "ES384";
      auth.kid = read.string("auth.kid");
      break;
    }
  }
  auth.token_url = read.string("auth.token_url");
  auth.scope = read.string("auth.scope");
  if (!auth.token_url.empty()) {
    std::string problem;
    if (!HttpUrl::parse(auth.token_url, problem)) read.fail("auth.token_url", problem);
  }
  return out;
}

}  // namespace artery::fhir
