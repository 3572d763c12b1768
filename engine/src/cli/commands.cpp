#include "cli/commands.hpp"

#include <cstdio>
#include <string_view>

namespace artery::cli {
namespace {
constexpr const char* kUsage = R"(usage: artery <command> [options]

  run [--config artery.yaml] [--channels DIR] [--data DIR] [--http ADDR] [--plugins DIR] [--log-level L]
                                   run the engine until SIGINT/SIGTERM
  validate [PATH...]               check channel files (default: ./channels); exit 1 on error
  test [PATH...]                   run the channels' tests: blocks offline
  send mllp HOST:PORT FILE... [--repeat N|forever] [--interval 1s] [--connections C]
  send systemone HOST:PORT --function F [--param K=V]... [--api-key K] [--interactive]
  version                          engine, plugin API and plugin versions
)";
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string_view command = argv[1];
  if (command == "run") return run_command(argc, argv);
  if (command == "validate") return validate_command(argc, argv);
  if (command == "test") return test_command(argc, argv);
  if (command == "version" || command == "--version") return version_command(argc, argv);
  if (command == "send") return send_command(argc, argv);
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "artery: unknown command '%s'\n\n%s", argv[1], kUsage);
  return 2;
}

}  // namespace artery::cli
