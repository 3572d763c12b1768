#include "support/fhir_validation.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace artery::testing {
namespace {

// The resource goes through a file, not stdin: the child's output is read to
// the end before waiting, and a pipe in both directions could block both sides.
class ResourceFile {
 public:
  explicit ResourceFile(const std::string& json) {
    std::string pattern = (std::filesystem::temp_directory_path() / "artery-fhir-XXXXXX.json").string();
    int fd = ::mkstemps(pattern.data(), 5);
    if (fd < 0) throw std::runtime_error("fhir validation: cannot create a temp file: " + std::string(strerror(errno)));
    ::close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << json;
  }
  ~ResourceFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Run {
  int status = -1;
  std::string output;
};

Run run_validator(const std::string& file) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("fhir validation: pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fhir validation: fork failed");
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    const char* argv[] = {ARTERY_NODE_BINARY, ARTERY_FHIR_VALIDATOR, file.c_str(), nullptr};
    ::execv(ARTERY_NODE_BINARY, const_cast<char* const*>(argv));
    _exit(127);
  }
  ::close(pipe_fds[1]);
  Run run;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    run.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

}  // namespace

std::vector<std::string> fhir_validation_problems(const std::string& json) {
  ResourceFile file(json);
  Run run = run_validator(file.path());
  if (run.status != 0 && run.status != 1)
    throw std::runtime_error("fhir validation: " + std::string(ARTERY_FHIR_VALIDATOR) + " exited " +
                             std::to_string(run.status) + ": " + run.output);
  std::vector<std::string> problems;
  const std::string prefix = file.path() + ": ";
  std::string_view rest = run.output;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (line.empty()) continue;
    if (line.substr(0, prefix.size()) == prefix) line.remove_prefix(prefix.size());
    problems.emplace_back(line);
  }
  if (run.status == 1 && problems.empty()) problems.push_back("invalid (the validator printed no reason)");
  return problems;
}

}  // namespace artery::testing
