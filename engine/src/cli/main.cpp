// artery: the command-line entry point.
#include "cli/commands.hpp"

int main(int argc, char** argv) { return artery::cli::main(argc, argv); }
