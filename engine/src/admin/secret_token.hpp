// Random secrets for sessions, CSRF and API tokens, and the digest under which
// a secret is stored: the database holds SHA-256 digests only, so a copy of
// the store file does not hand out working sessions or tokens.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace artery::admin {

// `bytes` from OpenSSL's CSPRNG as unpadded base64url (cookie- and header-safe).
// Throws std::runtime_error when the generator fails.
std::string random_secret(std::size_t bytes = 32);
// `bytes` random bytes as lower-case hex: short public ids.
std::string random_hex(std::size_t bytes);
// SHA-256 of the secret, lower-case hex.
std::string secret_digest(std::string_view secret);

// Standard base64 with padding, and its inverse (false on text that is not
// base64, `out` then unspecified).
std::string base64_encode(std::string_view bytes);
bool base64_decode(std::string_view text, std::string& out);

}  // namespace artery::admin
