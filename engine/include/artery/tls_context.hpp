// OpenSSL contexts built from TlsSettings, TLS 1.2 and newer only. This header
// pulls in Asio's SSL context: include it only in a connector that dials out
// over TLS (listeners get TLS from artery/tcp_listener.hpp without it).
#pragma once
#include <artery/tls_settings.hpp>

#include <boost/asio/ssl/context.hpp>

#include <optional>
#include <string>

namespace artery {

// nullopt with `error` naming the option and file ("tls.cert /x.pem: no such
// file") when a certificate, key or CA bundle cannot be used.
std::optional<boost::asio::ssl::context> make_server_tls_context(const TlsSettings& tls, std::string& error);
// Verifies against tls.ca, or the system store when it is empty.
std::optional<boost::asio::ssl::context> make_client_tls_context(const TlsSettings& tls, std::string& error);

// The peer certificate's subject ("/CN=..."), or "" when it sent none.
std::string tls_peer_subject(SSL* ssl);

}  // namespace artery
