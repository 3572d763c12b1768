#include "cli/commands.hpp"

#include "cli/usage.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace artery::cli {
namespace {

// The command named at argv[at]: "send mllp" for `send mllp ...`, else the word itself.
std::string command_name(int argc, char** argv, int at) {
  if (at >= argc) return "";
  std::string name = argv[at];
  if (name == "--version") return "version";
  if (name == "send" && at + 1 < argc &&
      (std::string_view(argv[at + 1]) == "mllp" || std::string_view(argv[at + 1]) == "systemone"))
    name += std::string(" ") + argv[at + 1];
  if (name == "messages" && at + 1 < argc &&
      (std::string_view(argv[at + 1]) == "search" || std::string_view(argv[at + 1]) == "show" ||
       std::string_view(argv[at + 1]) == "reprocess"))
    name += std::string(" ") + argv[at + 1];
  if (name == "queue" && at + 1 < argc && std::string_view(argv[at + 1]) == "purge") name += " purge";
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(usage_of("").c_str(), stderr);
    return 2;
  }
  std::string_view command = argv[1];
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(usage_of(command_name(argc, argv, 2)).c_str(), stdout);
    return 0;
  }
  const bool known = command == "run" || command == "validate" || command == "test" || command == "version" ||
                     command == "--version" || command == "send" || command == "channels" ||
                     command == "channel" || command == "messages" || command == "queue" || command == "user" ||
                     command == "reload" || command == "key";
  if (!known) {
    std::fprintf(stderr, "artery: unknown command '%s'\n\n%s", argv[1], usage_of("").c_str());
    return 2;
  }
  // Help is answered here, before any command parses flags, reads artery.yaml
  // or loads plugins, so `--help` works whatever else is on the line.
  if (asks_for_help(argc, argv, 2)) {
    std::fputs(usage_of(command_name(argc, argv, 1)).c_str(), stdout);
    return 0;
  }
  if (command == "run") return run_command(argc, argv);
  if (command == "validate") return validate_command(argc, argv);
  if (command == "test") return test_command(argc, argv);
  if (command == "version" || command == "--version") return version_command(argc, argv);
  if (command == "channels") return channels_command(argc, argv);
  if (command == "channel") return channel_command(argc, argv);
  if (command == "messages") return messages_command(argc, argv);
  if (command == "queue") return queue_command(argc, argv);
  if (command == "user") return user_command(argc, argv);
  if (command == "reload") return reload_command(argc, argv);
  if (command == "key") return key_command(argc, argv);
  return send_command(argc, argv);
}

}  // namespace artery::cli
