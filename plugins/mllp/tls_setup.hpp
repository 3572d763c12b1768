// OpenSSL contexts for the mllp connectors (plugin-internal: pulls in Asio SSL).
#pragma once
#include <boost/asio/ssl/context.hpp>

#include <optional>
#include <string>

#include "mllp_options.hpp"

namespace artery::mllp {

// nullopt with `error` set when a certificate, key or CA file cannot be used.
std::optional<boost::asio::ssl::context> make_server_tls(const TlsSettings& tls, std::string& error);
std::optional<boost::asio::ssl::context> make_client_tls(const TlsSettings& tls, std::string& error);

// The peer certificate's subject ("/CN=..."), or "" when there is none.
std::string peer_subject(SSL* ssl);

}  // namespace artery::mllp
