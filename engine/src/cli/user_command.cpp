// artery user add|passwd|list|remove: the admin API's users, managed on the
// store file itself, so it works with the engine stopped or running (SQLite
// WAL: the engine sees the change at its next request). For the first admin
// on a new server, or an admin who forgot his password.
#include "admin/account_store.hpp"
#include "cli/arguments.hpp"
#include "cli/commands.hpp"
#include "cli/engine_settings.hpp"
#include "cli/usage.hpp"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>

namespace artery::cli {
namespace {

using admin::AccountError;
using admin::AccountStore;

const std::vector<std::string> kUserFlags = {"--role", "--data", "--config"};
const std::vector<std::string> kUserSwitches = {"--password-stdin"};

// One line from stdin, without its line end: `echo "$PW" | artery user add ...`.
std::optional<std::string> password_from_stdin() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

// Prompts on the terminal with echo off; nullopt on end of input.
std::optional<std::string> prompt_hidden(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  termios saved{};
  const bool terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fputs("\n", stderr);
  if (!read) return std::nullopt;
  return line;
}

// The new password: from stdin with --password-stdin, else typed twice on
// the terminal. nullopt after printing why (exit code in `status`).
std::optional<std::string> new_password(const Arguments& args, const std::string& command, int& status) {
  std::optional<std::string> password;
  if (args.flag("--password-stdin")) {
    password = password_from_stdin();
    if (!password) {
      status = usage_error(command, "--password-stdin: nothing on stdin");
      return std::nullopt;
    }
  } else {
    if (!isatty(STDIN_FILENO)) {
      status = usage_error(command, "stdin is not a terminal: pipe the password in with --password-stdin");
      return std::nullopt;
    }
    password = prompt_hidden("new password (at least 12 characters): ");
    auto again = prompt_hidden("the same again: ");
    if (!password || !again) {
      status = 1;
      return std::nullopt;
    }
    if (*password != *again) {
      std::fprintf(stderr, "artery %s: the two passwords differ; nothing changed\n", command.c_str());
      status = 1;
      return std::nullopt;
    }
  }
  if (auto problem = AccountStore::password_problem(*password); !problem.empty()) {
    std::fprintf(stderr, "artery %s: %s; nothing changed\n", command.c_str(), problem.c_str());
    status = 1;
    return std::nullopt;
  }
  return password;
}

std::string date_text(std::int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &utc);
  return text;
}

int list_users(AccountStore& accounts) {
  auto users = accounts.users();
  if (users.empty()) {
    std::printf("no users yet (the engine creates 'admin' at its first start with --http)\n");
    return 0;
  }
  std::printf("%-24s %-9s %-9s %-17s %s\n", "USER", "ROLE", "STATUS", "CREATED (UTC)", "PASSWORD CHANGED (UTC)");
  for (const auto& user : users)
    std::printf("%-24s %-9s %-9s %-17s %s\n", user.name.c_str(), std::string(admin::role_name(user.role)).c_str(),
                user.disabled ? "disabled" : "active", date_text(user.created_ms).c_str(),
                date_text(user.password_changed_ms).c_str());
  return 0;
}

}  // namespace

int user_command(int argc, char** argv) {
  if (argc < 3) return usage_error("user", "name an action: add, passwd, list or remove");
  const std::string action = argv[2];
  const std::string command = "user " + action;
  if (action != "add" && action != "passwd" && action != "list" && action != "remove")
    return usage_error("user", "unknown action '" + action + "' (add, passwd, list, remove)");
  auto args = parse_arguments(argc, argv, 3, kUserFlags, kUserSwitches);
  if (!args.error.empty()) return usage_error(command, args.error);

  const std::size_t names = action == "list" ? 0 : 1;
  if (args.positional.size() != names)
    return usage_error(command, names == 0 ? "list takes no user name"
                                           : args.positional.empty() ? "name the user"
                                                                     : "one user at a time");
  const std::string name = names ? args.positional.front() : "";
  std::optional<admin::Role> role;
  if (action == "add") {
    auto role_text = args.flag("--role");
    if (!role_text) return usage_error(command, "--role is required: viewer, operator or admin");
    role = admin::parse_role(*role_text);
    if (!role) return usage_error(command, "--role takes viewer, operator or admin, not '" + *role_text + "'");
  } else if (args.flag("--role")) {
    return usage_error(command, "--role is for user add (change a role in the console or with PUT /api/users)");
  }
  if (args.flag("--password-stdin") && action != "add" && action != "passwd")
    return usage_error(command, "--password-stdin is for user add and user passwd");

  auto config = engine_settings(args);  // artery.yaml's data: folder, unless --data
  if (!config) return 1;
  const auto database = config->data_dir / "artery.db";
  if (action != "add" && !std::filesystem::exists(database)) {
    std::fprintf(stderr, "artery %s: no store at %s (wrong --data? the engine creates it at its first start)\n",
                 command.c_str(), database.c_str());
    return 1;
  }

  try {
    if (action == "add") std::filesystem::create_directories(config->data_dir);
    AccountStore accounts(database);
    if (action == "list") return list_users(accounts);
    if (action == "remove") {
      accounts.remove_user(name);
      std::printf("removed user '%s' with his sessions and API tokens\n", name.c_str());
      return 0;
    }
    // add and passwd: refuse an unknown or existing name before asking for a password.
    const bool exists = accounts.user(name).has_value();
    if (action == "add" && exists) throw AccountError(AccountError::Kind::conflict, "user '" + name + "' exists already");
    if (action == "passwd" && !exists) throw AccountError(AccountError::Kind::not_found, "no user '" + name + "'");
    int status = 0;
    auto password = new_password(args, command, status);
    if (!password) return status;
    if (action == "add") {
      accounts.add_user(name, *role, *password);
      std::printf("added user '%s' (%s)\n", name.c_str(), std::string(admin::role_name(*role)).c_str());
    } else {
      std::size_t ended = accounts.set_password(name, *password);
      std::printf("changed the password of '%s'; %zu session%s ended\n", name.c_str(), ended, ended == 1 ? "" : "s");
    }
    return 0;
  } catch (const AccountError& e) {
    std::fprintf(stderr, "artery %s: %s\n", command.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "artery %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}

}  // namespace artery::cli
