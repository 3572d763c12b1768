#include "support/engine_process.hpp"

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace artery::testing {

TempDir::TempDir(const std::string& prefix) {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
}

std::size_t count_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

namespace {
// Whether `--config FILE` names an artery.yaml with its own `http:`.
bool config_sets_http(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "--config") continue;
    std::ifstream in(args[i + 1]);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("http:", 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> with_defaults(std::vector<std::string> args) {
  auto has = [&](const std::string& flag) {
    for (const auto& a : args)
      if (a == flag) return true;
    return false;
  };
  if (!args.empty() && (args[0] == "run" || args[0] == "validate" || args[0] == "test" || args[0] == "version")) {
    const char* other = std::getenv("ARTERY_PLUGIN_DIR");  // with ARTERY_BINARY: that build's plugins
    if (!has("--plugins"))
      args.insert(args.end(), {"--plugins", other != nullptr && *other != '\0' ? other : ARTERY_PLUGIN_DIR});
  }
  // Tests run in parallel: none may take the admin API's default port unless
  // it asks for an address (an artery.yaml given with --config may set one).
  if (!args.empty() && args[0] == "run" && !has("--http") && !config_sets_http(args))
    args.insert(args.end(), {"--http", "off"});
  return args;
}

pid_t spawn(const std::vector<std::string>& args, int out_fd, const std::filesystem::path& working_dir) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!working_dir.empty() && ::chdir(working_dir.c_str()) != 0) _exit(126);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    std::vector<char*> argv;
    // ARTERY_BINARY in the environment runs another build (a benchmark's before/after in one run).
    const char* other = std::getenv("ARTERY_BINARY");
    std::string binary = other != nullptr && *other != '\0' ? other : ARTERY_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}
}  // namespace

EngineProcess::EngineProcess(std::vector<std::string> args, std::filesystem::path log_file)
    : log_file_(std::move(log_file)) {
  args = with_defaults(std::move(args));
  int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  pid_ = spawn(args, fd, {});
  ::close(fd);
}

EngineProcess::~EngineProcess() {
  if (running()) stop(SIGKILL);
}

std::string EngineProcess::log() const { return read_text(log_file_); }

bool EngineProcess::running() const {
  if (pid_ <= 0 || status_ != -1) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

bool EngineProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) const {
  return eventually([&] { return log().find(text) != std::string::npos || !running(); }, timeout) &&
         log().find(text) != std::string::npos;
}

int EngineProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (!running()) return status_;
  ::kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (running()) {
    ::kill(pid_, SIGKILL);
    while (running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

int run_artery(const std::vector<std::string>& args, std::string& output, const std::filesystem::path& working_dir) {
  char path[] = "/tmp/artery-run-XXXXXX";
  int fd = ::mkstemp(path);
  pid_t pid = spawn(with_defaults(args), fd, working_dir);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);
  output = read_text(path);
  ::unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace artery::testing
