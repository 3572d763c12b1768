// Certificates for TLS tests, made once per test process with the openssl
// CLI into a temp folder: a CA, a server certificate for localhost and
// 127.0.0.1 and a client certificate (CN=artery-client), both signed by the
// CA, an unrelated self-signed "Other CA", and a client certificate signed
// by that other CA (CN=artery-stranger): one a server trusting only the
// test CA must refuse.
#pragma once
#include <filesystem>
#include <string>

namespace artery::testing {

class TestCertificates {
 public:
  // The process's set (made on first use; throws if openssl fails).
  static const TestCertificates& get();
  // ca.pem, ca.key, server.pem, server.key, client.pem, client.key, other.pem, other.key,
  // stranger.pem, stranger.key
  std::string operator()(const char* name) const { return (dir_ / name).string(); }
  const std::filesystem::path& dir() const { return dir_; }

  ~TestCertificates();
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;

 private:
  TestCertificates();
  std::filesystem::path dir_;
};

}  // namespace artery::testing
