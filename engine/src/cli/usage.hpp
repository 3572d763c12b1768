// What each command accepts, in words: printed on stdout by --help (exit 0)
// and on stderr after a usage error (exit 2), so the two never disagree.
#pragma once
#include <string>
#include <string_view>

namespace artery::cli {

// `command` is "run", "validate", "test", "version", "send", "send mllp",
// "send systemone" or "user" (and "user add" ...); anything else (including
// "") gives the overview.
std::string usage_of(std::string_view command);

// Prints "artery <command>: <message>" and where to find the options on
// stderr; returns 2, the exit code of every usage error.
int usage_error(std::string_view command, const std::string& message);

// True when a word after the command asks for help (--help or -h).
bool asks_for_help(int argc, char** argv, int first);

}  // namespace artery::cli
