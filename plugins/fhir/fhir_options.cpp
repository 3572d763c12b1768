#include "fhir_options.hpp"

#include <artery/tls_settings.hpp>

#include <iterator>

namespace artery::fhir {

// Keys both sides of a client (the polling source and the destination) read:
// how Artery authenticates to a remote FHIR server, and how it checks its TLS.
#define ARTERY_FHIR_CLIENT_OPTIONS                                                                                  \
  {"auth", "map", nullptr, false, "How Artery authenticates to the remote server (keys below)."},                 \
      {"auth.type", "enum:none|bearer|basic|client_credentials|smart_backend", "none", false,                      \
       "none; a fixed bearer token; HTTP basic; OAuth2 client_credentials with a client secret; SMART Backend "     \
       "Services (client_credentials with a private_key_jwt client assertion)."},                                  \
      {"auth.token", "string", "", false, "The token for auth.type: bearer."},                                     \
      {"auth.username", "string", "", false, "User for auth.type: basic."},                                        \
      {"auth.password", "string", "", false, "Password for auth.type: basic."},                                    \
      {"auth.client_id", "string", "", false, "OAuth2 client id (client_credentials, smart_backend)."},            \
      {"auth.client_secret", "string", "", false, "OAuth2 client secret (client_credentials)."},                   \
      {"auth.token_url", "string", "", false,                                                                      \
       "OAuth2 token endpoint. Default: token_endpoint from <url>/.well-known/smart-configuration."},              \
      {"auth.scope", "string", "", false, "Scopes to ask for, space-separated (system/Patient.read ...)."},        \
      {"auth.private_key", "file", "", false,                                                                      \
       "PEM private key signing the client assertion (smart_backend): RSA for RS384, EC P-384 for ES384."},        \
      {"auth.algorithm", "enum:RS384|ES384", "RS384", false, "Client assertion signature algorithm."},             \
      {"auth.kid", "string", "", false, "Key id put in the client assertion's header (the key's id in your JWKS)."}, \
      {"timeout", "duration", "30s", false, "Connect, send and read, each request, at most."}

const OptionSpec kSourceOptions[] = {
    {"mode", "enum:listen|poll", "listen", false,
     "listen: serve FHIR R4 REST at `listen` + `base_path`; poll: search the server at `url` every `interval`."},
    // listen
    {"listen", "address", "127.0.0.1:8090", false, "Address to listen on (mode: listen)."},
    {"base_path", "string", "/fhir", false, "Path the FHIR base is served under."},
    {"repository", "bool", "false", false,
     "Keep the resources (versioned) in the channel's repository, so read, vread, history and search work."},
    {"resource_types", "list", "", false,
     "Resource types accepted; empty: every FHIR R4 type. The CapabilityStatement lists exactly these."},
    {"seed", "file", "", false,
     "A transaction, batch or collection Bundle loaded into an empty repository at first start."},
    {"page_size", "int", "50", false, "Search results per page when the request has no _count."},
    {"max_page_size", "int", "500", false, "The largest _count honoured."},
    {"max_body", "size", "10MiB", false, "Larger request bodies are answered 413."},
    {"max_connections", "int", "256", false, "Connections at once; at the limit the longest-idle one is closed."},
    {"idle_timeout", "duration", "60s", false, "A keep-alive connection with no request for this long is closed."},
    {"read_timeout", "duration", "30s", false, "A request must arrive completely within this."},
    {"handler_threads", "int", "4", false, "Threads answering requests."},
    // TLS: the listener's block; in poll mode tls.ca, cert and key are the client's.
    ARTERY_LISTENER_TLS_OPTIONS,
    {"tls.verify_server", "bool", "true", false,
     "poll: verify the server's certificate and host name (https URLs). Turning it off is logged at every start."},
    {"tls.server_name", "string", "", false, "poll: name to expect in the server's certificate (default: the URL's host)."},
    {"authorization", "map", nullptr, false, "What callers of the listener must present (keys below)."},
    {"authorization.type", "enum:none|token|jwt", "none", false,
     "none; a bearer token from tokens_file; a JWT signed by public_key or a key in jwks_file."},
    {"authorization.tokens_file", "file", "", false,
     "One token per line: the token, then its SMART scopes (system/Patient.read system/*.write)."},
    {"authorization.public_key", "file", "", false, "PEM public key JWTs must be signed with (RS384/RS256/ES384)."},
    {"authorization.jwks_file", "file", "", false, "JWKS file whose keys (by kid) JWTs may be signed with."},
    {"authorization.issuer", "string", "", false, "Required `iss` of JWTs (empty: any)."},
    {"authorization.audience", "string", "", false, "Required `aud` of JWTs (empty: any)."},
    // poll
    {"url", "string", "", false, "Base URL of the server to poll (mode: poll), e.g. https://ehr.example/fhir."},
    {"resource_type", "string", "", false, "Resource type polled; fills ${type} in `search`."},
    {"search", "string", "${type}?_lastUpdated=ge${mark}&_sort=_lastUpdated", false,
     "Search relative to url. ${mark} is the high-water mark (the newest meta.lastUpdated seen); with no "
     "mark yet the _lastUpdated parameter is dropped."},
    {"interval", "duration", "30s", false, "Pause between two polls."},
    {"initial_mark", "string", "", false, "Mark to start from when none is stored (an instant); empty: everything."},
    ARTERY_FHIR_CLIENT_OPTIONS,
};
const std::size_t kSourceOptionCount = std::size(kSourceOptions);

const OptionSpec kDestinationOptions[] = {
    {"url", "string", nullptr, true, "Base URL of the FHIR server, e.g. https://ehr.example/fhir."},
    {"interaction", "enum:auto|create|update|conditional_create|transaction|batch", "auto", false,
     "auto: a transaction/batch Bundle is POSTed to the base, a resource with an id is PUT, one without is POSTed."},
    {"if_none_exist", "string", "", false,
     "Search for conditional_create (If-None-Exist), ${var} templates allowed: identifier=${mrn}."},
    ARTERY_CLIENT_TLS_OPTIONS,
    ARTERY_FHIR_CLIENT_OPTIONS,
};
const std::size_t kDestinationOptionCount = std::size(kDestinationOptions);

#undef ARTERY_FHIR_CLIENT_OPTIONS

}  // namespace artery::fhir
