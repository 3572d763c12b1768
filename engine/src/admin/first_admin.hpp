// The first admin: an engine started on a store without users creates
// `admin`, so that the console can be opened at all.
#pragma once

namespace artery::admin {

class AccountStore;

// When the store has no users: creates user 'admin' (role admin) with the
// password in ARTERY_ADMIN_PASSWORD, or else a generated one printed once to
// stderr. Does nothing when any user exists (ARTERY_ADMIN_PASSWORD is then
// ignored: it never resets a password). Throws std::runtime_error when
// ARTERY_ADMIN_PASSWORD is set but too short, and on store errors.
void ensure_first_admin(AccountStore& accounts);

}  // namespace artery::admin
