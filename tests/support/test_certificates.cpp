#include "support/test_certificates.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

namespace artery::testing {

TestCertificates::TestCertificates() {
  dir_ = std::filesystem::temp_directory_path() / ("artery-test-certs-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  std::string script =
      "cd '" + dir_.string() + "' && "
      "openssl req -x509 " + key + " -keyout ca.key -out ca.pem -days 2 -subj '/CN=Artery Test CA' && "
      "openssl req -x509 " + key + " -keyout other.key -out other.pem -days 2 -subj '/CN=Other CA' && "
      "openssl req " + key + " -keyout server.key -out server.csr -subj '/CN=localhost' && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
      "-extfile server.ext && "
      "openssl req " + key + " -keyout client.key -out client.csr -subj '/CN=artery-client' && "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 && "
      "openssl req " + key + " -keyout stranger.key -out stranger.csr -subj '/CN=artery-stranger' && "
      "openssl x509 -req -in stranger.csr -CA other.pem -CAkey other.key -CAcreateserial -out stranger.pem -days 2";
  script = "(" + script + ") >/dev/null 2>&1";
  if (std::system(script.c_str()) != 0) throw std::runtime_error("openssl could not make test certificates");
}

TestCertificates::~TestCertificates() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

const TestCertificates& TestCertificates::get() {
  static TestCertificates certificates;
  return certificates;
}

}  // namespace artery::testing
