#include "client_test_server.hpp"

#include "support/engine_process.hpp"
#include "support/loopback.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

namespace artery::fhir::testing {

using namespace artery::testing;

FhirAuthServer::FhirAuthServer(int port, const std::filesystem::path& dir, std::vector<std::string> args,
                               const std::string& cert, const std::string& key)
    : port_(port), log_(dir / ("fhir-server-" + std::to_string(port) + ".jsonl")) {
  std::filesystem::create_directories(dir);
  const std::string script = std::string(ARTERY_SOURCE_DIR) + "/tests/fixtures/fhir_auth/fhir_auth_server.py";
  std::vector<std::string> argv = {"python3", script, "--port", std::to_string(port), "--log", log_.string()};
  if (!cert.empty()) argv.insert(argv.end(), {"--cert", cert, "--key", key});
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = ::fork();
  if (pid_ == 0) {
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    // Debian's interpreter, where python3-cryptography is installed (not a pyenv shim).
    ::execv("/usr/bin/python3", raw.data());
    ::_exit(127);
  }
  const bool up = eventually(
      [&] {
        const int fd = connect_loopback(port_);
        if (fd < 0) return false;
        ::close(fd);
        return true;
      },
      std::chrono::seconds(20));
  if (!up) throw std::runtime_error("the FHIR test server did not start on port " + std::to_string(port));
}

FhirAuthServer::~FhirAuthServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::vector<boost::json::object> FhirAuthServer::events(const std::string& kind) const {
  std::vector<boost::json::object> out;
  std::ifstream in(log_);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (ec || !value.is_object()) continue;
    if (!kind.empty() && text_of(value.get_object(), "kind") != kind) continue;
    out.push_back(value.get_object());
  }
  return out;
}

std::string text_of(const boost::json::object& event, const char* key) {
  const auto* value = event.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

void make_client_keys(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  const std::string commands =
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d + "/rsa.key && "
      "openssl pkey -in " + d + "/rsa.key -pubout -out " + d + "/rsa.pub && "
      "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out " + d + "/ec.key && "
      "openssl pkey -in " + d + "/ec.key -pubout -out " + d + "/ec.pub && "
      "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d + "/other_rsa.key";
  if (std::system(("(" + commands + ") >/dev/null 2>&1").c_str()) != 0)
    throw std::runtime_error("openssl could not make the client keys");
}

}  // namespace artery::fhir::testing
