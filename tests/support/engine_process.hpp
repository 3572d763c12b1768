// Runs the real `artery` binary for integration tests: its own channels and
// data folders, its log captured to a file, stopped by signal.
#pragma once
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace artery::testing {

// A fresh folder under the system temp dir, removed when the object goes.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "artery-test");
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& child) const { return path_ / child; }

 private:
  std::filesystem::path path_;
};

class EngineProcess {
 public:
  // `args` follow `artery`, e.g. {"run", "--channels", dir}. --plugins and
  // --log-level are added unless given.
  EngineProcess(std::vector<std::string> args, std::filesystem::path log_file);
  ~EngineProcess();  // SIGKILL if still running

  // Waits until the log contains `text`; false on timeout or if the process died.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  std::string log() const;
  bool running() const;
  // Sends the signal and waits for the exit; returns the exit status (or 128+signal).
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_file_;
  mutable int status_ = -1;
};

// Runs `artery <args>` to completion; returns exit code, output in `output`.
int run_artery(const std::vector<std::string>& args, std::string& output,
               const std::filesystem::path& working_dir = {});

std::string read_text(const std::filesystem::path& file);
void write_text(const std::filesystem::path& file, const std::string& text);
// Lines in a file (0 when it is missing).
std::size_t count_lines(const std::filesystem::path& file);
// Polls `done` every few ms until it holds or the timeout passes.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    struct timespec ts{0, 2'000'000};
    nanosleep(&ts, nullptr);
  }
  return done();
}

}  // namespace artery::testing
