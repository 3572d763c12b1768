// What both dialling connectors (the polling source and the destination)
// read from their options: the server's base URL, how to authenticate to
// it, TLS and the per-request timeout. Read once at creation, checked there,
// so a channel with a bad key or missing secret fails `artery validate`-time
// construction with the option's name rather than at the first message.
#pragma once
#include <artery/http_client.hpp>
#include <artery/option_reader.hpp>

#include <chrono>
#include <filesystem>
#include <string>

namespace artery::fhir {

struct AuthSettings {
  enum class Type { none, bearer, basic, client_credentials, smart_backend };
  Type type = Type::none;
  std::string token;               // bearer
  std::string username, password;  // basic
  std::string client_id;
  std::string client_secret;       // client_credentials
  std::string token_url;           // "" = discovered from <url>/.well-known/smart-configuration
  std::string scope;
  std::string private_key_pem;     // smart_backend: the key file's contents, read at creation
  std::string algorithm = "RS384"; // RS384 | ES384
  std::string kid;
};

struct ClientSettings {
  std::string base_url;  // without a trailing '/'
  AuthSettings auth;
  HttpClientOptions http;  // timeouts and TLS
};

// Problems go to `read` (the first one is kept).
ClientSettings read_client_settings(OptionReader& read, const std::filesystem::path& base_dir, bool url_required);

}  // namespace artery::fhir
