// Until the accounts land (users, sessions, tokens), nobody can log in: every
// protected endpoint answers 401 and only the public ones are usable.
#include "admin/admin_context.hpp"
#include "admin/authenticator.hpp"

#include <memory>

namespace artery::admin {
namespace {

class NobodyAuthenticator final : public Authenticator {
 public:
  std::optional<Principal> authenticate(const HttpRequest&) override { return std::nullopt; }
};

}  // namespace

std::unique_ptr<Authenticator> make_authenticator(AdminContext&) { return std::make_unique<NobodyAuthenticator>(); }

}  // namespace artery::admin
