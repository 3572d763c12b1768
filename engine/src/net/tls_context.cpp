#include <artery/tls_context.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace artery {
namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 is the oldest version still considered safe (RFC 8996 retired 1.0/1.1).
constexpr auto kProtocolOptions = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1;

bool load_identity(ssl::context& context, const TlsSettings& tls, std::string& error) {
  boost::system::error_code ec;
  if (!tls.cert.empty()) context.use_certificate_chain_file(tls.cert, ec);
  if (ec) {
    error = "tls.cert " + tls.cert + ": " + ec.message();
    return false;
  }
  if (!tls.key.empty()) context.use_private_key_file(tls.key, ssl::context::pem, ec);
  if (ec) {
    error = "tls.key " + tls.key + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace

std::optional<ssl::context> make_server_tls_context(const TlsSettings& tls, std::string& error) {
  ssl::context context(ssl::context::tls_server);
  context.set_options(kProtocolOptions);
  if (!load_identity(context, tls, error)) return std::nullopt;
  if (tls.verify_peer) {
    boost::system::error_code ec;
    context.load_verify_file(tls.ca, ec);
    if (ec) {
      error = "tls.ca " + tls.ca + ": " + ec.message();
      return std::nullopt;
    }
    context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

std::optional<ssl::context> make_client_tls_context(const TlsSettings& tls, std::string& error) {
  ssl::context context(ssl::context::tls_client);
  context.set_options(kProtocolOptions);
  if (!load_identity(context, tls, error)) return std::nullopt;
  boost::system::error_code ec;
  if (!tls.ca.empty()) {
    context.load_verify_file(tls.ca, ec);
    if (ec) {
      error = "tls.ca " + tls.ca + ": " + ec.message();
      return std::nullopt;
    }
  } else {
    context.set_default_verify_paths(ec);
  }
  context.set_verify_mode(tls.verify_peer ? ssl::verify_peer : ssl::verify_none);
  return context;
}

std::string tls_peer_subject(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return {};
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buffer, sizeof buffer);
  X509_free(cert);
  return buffer;
}

}  // namespace artery
