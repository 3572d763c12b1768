// The admin server's accounts and authenticator: the AccountStore in the
// store's database file (with the first admin created on a store without
// users) and the SessionAuthenticator on it. The authenticator owns the store,
// so the admin server's parts keep one owner for both.
#include "admin/account_store.hpp"
#include "admin/admin_context.hpp"
#include "admin/authenticator.hpp"
#include "admin/first_admin.hpp"
#include "admin/session_authenticator.hpp"
#include "config/engine_config.hpp"
#include "log/logger.hpp"

#include <memory>

namespace artery::admin {
namespace {

class AccountAuthenticator final : public Authenticator {
 public:
  explicit AccountAuthenticator(std::unique_ptr<AccountStore> accounts)
      : accounts_(std::move(accounts)), sessions_(*accounts_) {}
  std::optional<Principal> authenticate(const HttpRequest& request) override {
    return sessions_.authenticate(request);
  }

 private:
  std::unique_ptr<AccountStore> accounts_;
  SessionAuthenticator sessions_;
};

// The accounts could not be opened: nobody can log in; the endpoints that
// need accounts answer 503 (see api/account_json.cpp).
class NobodyAuthenticator final : public Authenticator {
 public:
  std::optional<Principal> authenticate(const HttpRequest&) override { return std::nullopt; }
};

}  // namespace

std::unique_ptr<Authenticator> make_authenticator(AdminContext& context) {
  try {
    SessionLifetime lifetime{context.config.admin.session_idle, context.config.admin.session_absolute};
    auto accounts = std::make_unique<AccountStore>(context.config.data_dir / "artery.db", lifetime);
    ensure_first_admin(*accounts);
    context.accounts = accounts.get();
    return std::make_unique<AccountAuthenticator>(std::move(accounts));
  } catch (const std::exception& e) {
    // The channels run on; the console says it cannot log anybody in.
    logger::error("admin", std::string(e.what()) + "; nobody can log in to the admin API");
    context.accounts = nullptr;
    return std::make_unique<NobodyAuthenticator>();
  }
}

}  // namespace artery::admin
