// The artery subcommands. Each returns the process exit code.
#pragma once

namespace artery::cli {
int main(int argc, char** argv);
int run_command(int argc, char** argv);
int validate_command(int argc, char** argv);
int test_command(int argc, char** argv);
int version_command(int argc, char** argv);
int send_command(int argc, char** argv);
// The admin API from the command line (admin_call.hpp): the server and token.
int channels_command(int argc, char** argv);
int channel_command(int argc, char** argv);
int messages_command(int argc, char** argv);
int queue_command(int argc, char** argv);
int user_command(int argc, char** argv);
int reload_command(int argc, char** argv);
int key_command(int argc, char** argv);  // artery key rotate|status
}  // namespace artery::cli
