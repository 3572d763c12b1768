#include "support/smtp_sink.hpp"

#include "support/engine_process.hpp"

#include <algorithm>
#include <csignal>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

namespace artery::testing {
namespace {

std::vector<std::string> files_ending(const std::filesystem::path& dir, const std::string& suffix) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == suffix) found.push_back(entry.path());
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& file : found) out.push_back(read_text(file));
  return out;
}

}  // namespace

SmtpSink::SmtpSink(int port, std::filesystem::path dir, std::string cert, std::string key, bool implicit)
    : port_(port), dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  const std::string script = std::string(ARTERY_SOURCE_DIR) + "/tests/fixtures/integration/smtp_sink.py";
  const std::string port_text = std::to_string(port);
  pid_ = ::fork();
  if (pid_ == 0) {
    // Debian's interpreter, where python3-aiosmtpd is installed (not a pyenv shim).
    if (cert.empty())
      ::execl("/usr/bin/python3", "python3", script.c_str(), port_text.c_str(), dir_.c_str(), nullptr);
    else
      ::execl("/usr/bin/python3", "python3", script.c_str(), port_text.c_str(), dir_.c_str(), cert.c_str(),
              key.c_str(), implicit ? "implicit" : "starttls", nullptr);
    ::_exit(127);
  }
  if (!eventually([&] { return std::filesystem::exists(dir_ / "ready"); }, std::chrono::seconds(20)))
    throw std::runtime_error("the SMTP test server (python3-aiosmtpd) did not start on port " + port_text);
}

SmtpSink::~SmtpSink() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::vector<std::string> SmtpSink::messages() const { return files_ending(dir_, ".eml"); }
std::vector<std::string> SmtpSink::envelopes() const { return files_ending(dir_, ".env"); }

}  // namespace artery::testing
