#include <artery/option_reader.hpp>
#include <artery/tls_settings.hpp>

#include <boost/asio/ip/address.hpp>

#include <openssl/ssl.h>

#include <memory>
#include <set>
#include <string_view>

namespace artery {
namespace {

void read_files(OptionReader& read, TlsSettings& tls, const std::filesystem::path& base_dir) {
  tls.enabled = read.boolean("tls.enabled");
  tls.cert = read.path("tls.cert", base_dir).string();
  tls.key = read.path("tls.key", base_dir).string();
  tls.ca = read.path("tls.ca", base_dir).string();
}

// OpenSSL skips TLS 1.3 suite names it does not know, so a typo would
// quietly leave fewer suites (or none: no TLS 1.3 at all). These are all
// RFC 8446 defines.
bool known_tls13_suites(const std::string& list) {
  static const std::set<std::string, std::less<>> kSuites = {
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
      "TLS_AES_128_CCM_8_SHA256"};
  std::size_t start = 0;
  for (;;) {
    const auto end = list.find(':', start);
    if (!kSuites.count(std::string_view(list).substr(start, end - start))) return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

// A cipher string OpenSSL cannot use would otherwise surface only at start,
// or worse, as handshakes that fail: check it where it is written, so
// `artery validate` names the line.
void read_versions(OptionReader& read, TlsSettings& tls) {
  // Undeclared (a connector without the key) reads as "": the 1.2 floor.
  const std::string version = read.string("tls.min_version");
  if (version == "1.3") tls.min_version = TlsVersion::v1_3;
  else if (!version.empty() && version != "1.2")
    read.fail("tls.min_version", "expected 1.2 or 1.3 (older versions are never allowed), got '" + version + "'");
  tls.ciphers = read.string("tls.ciphers");
  tls.ciphersuites = read.string("tls.ciphersuites");
  if (tls.ciphers.empty() && tls.ciphersuites.empty()) return;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> probe(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (!probe) return;
  if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(probe.get(), tls.ciphers.c_str()) != 1)
    read.fail("tls.ciphers", "OpenSSL knows no TLS 1.2 cipher in '" + tls.ciphers + "' (see `openssl ciphers -v`)");
  if (!tls.ciphersuites.empty() &&
      (!known_tls13_suites(tls.ciphersuites) || SSL_CTX_set_ciphersuites(probe.get(), tls.ciphersuites.c_str()) != 1))
    read.fail("tls.ciphersuites", "not a list of TLS 1.3 suites OpenSSL knows: '" + tls.ciphersuites +
                                      "' (e.g. TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256)");
  if (tls.min_version == TlsVersion::v1_3 && !tls.ciphers.empty() && tls.ciphersuites.empty())
    read.fail("tls.ciphers", "applies to TLS 1.2 only, and tls.min_version is 1.3: set tls.ciphersuites instead");
}

}  // namespace

TlsSettings read_listener_tls(OptionReader& read, const std::filesystem::path& base_dir) {
  TlsSettings tls;
  read_files(read, tls, base_dir);
  tls.verify_peer = read.boolean("tls.verify_client");
  read_versions(read, tls);
  if (tls.enabled && (tls.cert.empty() || tls.key.empty())) read.fail("tls", "tls.cert and tls.key are required");
  if (tls.enabled && tls.verify_peer && tls.ca.empty())
    read.fail("tls.verify_client", "needs tls.ca to verify client certificates against");
  return tls;
}

TlsSettings read_client_tls(OptionReader& read, const std::filesystem::path& base_dir) {
  TlsSettings tls;
  read_files(read, tls, base_dir);
  // Undeclared (a connector whose URL decides) reads as "" here: verify.
  tls.verify_peer = read.string("tls.verify_server").empty() || read.boolean("tls.verify_server");
  tls.server_name = read.string("tls.server_name");
  read_versions(read, tls);
  if (tls.cert.empty() != tls.key.empty()) read.fail("tls", "tls.cert and tls.key go together");
  return tls;
}

bool reachable_from_network(const std::string& host) {
  if (host == "localhost") return false;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return true;  // "", "*" (every address) or a name that may resolve anywhere
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return !boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback();
  return !address.is_loopback();
}

std::string plaintext_listener_warning(const std::string& host, int port, bool tls, const std::string& how_to_fix) {
  if (tls || !reachable_from_network(host)) return {};
  const std::string shown = host.empty() || host == "*" ? "0.0.0.0" : host;
  return "listening on " + shown + ":" + std::to_string(port) +
         " without TLS: other machines can read and send what passes in the clear; " + how_to_fix;
}

}  // namespace artery
