#include "admin/first_admin.hpp"

#include "admin/account_store.hpp"
#include "admin/secret_token.hpp"
#include "log/logger.hpp"

#include <cstdio>
#include <cstdlib>

namespace artery::admin {

void ensure_first_admin(AccountStore& accounts) {
  if (accounts.user_count() > 0) return;
  const char* given = std::getenv("ARTERY_ADMIN_PASSWORD");
  if (given && *given) {
    if (auto problem = AccountStore::password_problem(given); !problem.empty())
      throw std::runtime_error("ARTERY_ADMIN_PASSWORD is not usable: " + problem);
    try {
      accounts.add_user("admin", Role::admin, given);
    } catch (const AccountError& e) {
      if (e.kind() != AccountError::Kind::conflict) throw;  // `artery user add admin` got there first
      return;
    }
    logger::info("admin", "first start: created user 'admin' with the password from ARTERY_ADMIN_PASSWORD");
    return;
  }
  // 24 random bytes: 32 characters, 192 bits.
  const std::string password = random_secret(24);
  try {
    accounts.add_user("admin", Role::admin, password);
  } catch (const AccountError& e) {
    if (e.kind() != AccountError::Kind::conflict) throw;
    return;
  }
  // Printed plainly to stderr, set apart from the log lines, so the one
  // person who starts the engine first cannot miss it.
  std::fprintf(stderr,
               "\nfirst start: created user 'admin' with password %s\n"
               "  change it: artery user passwd admin (or in the console); it is not shown again.\n\n",
               password.c_str());
  std::fflush(stderr);
}

}  // namespace artery::admin
