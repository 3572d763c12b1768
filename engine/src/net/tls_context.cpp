#include <artery/tls_context.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace artery {
namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 is the oldest version still considered safe (RFC 8996 retired 1.0/1.1).
constexpr auto kProtocolOptions = ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                                  ssl::context::single_dh_use;

// The version floor and the cipher choices every context gets, server or client.
bool apply_versions(ssl::context& context, const TlsSettings& tls, std::string& error) {
  context.set_options(kProtocolOptions);
  SSL_CTX* native = context.native_handle();
  SSL_CTX_set_min_proto_version(native, tls.min_version == TlsVersion::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION);
  if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(native, tls.ciphers.c_str()) != 1) {
    error = "tls.ciphers '" + tls.ciphers + "': no cipher OpenSSL knows";
    return false;
  }
  if (!tls.ciphersuites.empty() && SSL_CTX_set_ciphersuites(native, tls.ciphersuites.c_str()) != 1) {
    error = "tls.ciphersuites '" + tls.ciphersuites + "': not TLS 1.3 suites OpenSSL knows";
    return false;
  }
  return true;
}

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
  if (!tls.cert.empty() && !tls.key.empty() && SSL_CTX_check_private_key(context.native_handle()) != 1) {
    error = "tls.key " + tls.key + " does not match tls.cert " + tls.cert;
    return false;
  }
  return true;
}

}  // namespace

std::optional<ssl::context> make_server_tls_context(const TlsSettings& tls, std::string& error) {
  if (tls.cert.empty() || tls.key.empty()) {
    error = "tls.cert and tls.key are required";
    return std::nullopt;
  }
  ssl::context context(ssl::context::tls_server);
  if (!apply_versions(context, tls, error) || !load_identity(context, tls, error)) return std::nullopt;
  // tls.ca alone asks for a client certificate and checks one that is sent
  // (optional); tls.verify_client also refuses a client that sends none.
  if (!tls.ca.empty() || tls.verify_peer) {
    boost::system::error_code ec;
    context.load_verify_file(tls.ca, ec);
    if (ec) {
      error = "tls.ca " + tls.ca + ": " + ec.message();
      return std::nullopt;
    }
    // The CA names go in the CertificateRequest, so a client holding several
    // certificates knows which one to send.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca.c_str()))
      SSL_CTX_set_client_CA_list(context.native_handle(), names);
    context.set_verify_mode(tls.verify_peer ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                                            : ssl::verify_peer);
  }
  return context;
}

std::optional<ssl::context> make_client_tls_context(const TlsSettings& tls, std::string& error) {
  ssl::context context(ssl::context::tls_client);
  if (!apply_versions(context, tls, error) || !load_identity(context, tls, error)) return std::nullopt;
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
