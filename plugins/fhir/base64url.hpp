// base64url without padding (RFC 4648 §5), as JWTs and JWKs spell bytes.
// Shared by the listener (verifying JWTs) and the client (signing assertions).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace artery::fhir {

std::string base64url_encode(std::string_view bytes);
// Padding is accepted and ignored; nullopt for a character outside the alphabet.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace artery::fhir
