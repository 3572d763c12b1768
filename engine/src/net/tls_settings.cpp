#include <artery/option_reader.hpp>
#include <artery/tls_settings.hpp>

namespace artery {
namespace {

void read_files(OptionReader& read, TlsSettings& tls, const std::filesystem::path& base_dir) {
  tls.enabled = read.boolean("tls.enabled");
  tls.cert = read.path("tls.cert", base_dir).string();
  tls.key = read.path("tls.key", base_dir).string();
  tls.ca = read.path("tls.ca", base_dir).string();
}

}  // namespace

TlsSettings read_listener_tls(OptionReader& read, const std::filesystem::path& base_dir) {
  TlsSettings tls;
  read_files(read, tls, base_dir);
  tls.verify_peer = read.boolean("tls.verify_client");
  if (tls.enabled && (tls.cert.empty() || tls.key.empty())) read.fail("tls", "tls.cert and tls.key are required");
  if (tls.enabled && tls.verify_peer && tls.ca.empty())
    read.fail("tls.verify_client", "needs tls.ca to verify client certificates against");
  return tls;
}

TlsSettings read_client_tls(OptionReader& read, const std::filesystem::path& base_dir) {
  TlsSettings tls;
  read_files(read, tls, base_dir);
  tls.verify_peer = read.boolean("tls.verify_server");
  tls.server_name = read.string("tls.server_name");
  if (tls.enabled && tls.cert.empty() != tls.key.empty()) read.fail("tls", "tls.cert and tls.key go together");
  return tls;
}

}  // namespace artery
