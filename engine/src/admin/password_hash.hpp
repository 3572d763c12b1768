// Password hashing for the admin users: PBKDF2-HMAC-SHA256 from OpenSSL with
// a random salt per password, stored as one self-describing string
//   pbkdf2-sha256$600000$<salt, base64>$<hash, base64>
// so a later, stronger setting can be introduced without breaking the
// passwords already stored (verify reads the iteration count it was made with).
#pragma once
#include <string>
#include <string_view>

namespace artery::admin {

// OWASP's 2023 figure for PBKDF2-HMAC-SHA256. About 0.3-0.6 s per hash on
// one core here: that is the point (an offline guess costs as much), and it
// is why failed logins are throttled before a hash is computed.
inline constexpr int kPasswordIterations = 600'000;
inline constexpr std::size_t kPasswordMinLength = 12;

// A new salt every call. Throws std::runtime_error when OpenSSL fails.
std::string hash_password(std::string_view password);

// True when `password` matches `stored` (compared in constant time). False
// for a wrong password and for a stored string that is not one of ours.
bool verify_password(std::string_view password, std::string_view stored);

// Spends the time of one verify_password, for a login naming an unknown
// user: the answer's timing must not tell which user names exist.
void spend_password_check(std::string_view password);

}  // namespace artery::admin
