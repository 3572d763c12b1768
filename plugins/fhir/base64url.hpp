// Base64 (RFC 4648): the URL-safe alphabet without padding that JWTs use
// (client assertions, and the listener's JWT checks), and the standard
// alphabet with padding for HTTP basic credentials.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace artery::fhir {

std::string base64url_encode(std::string_view bytes);
// Accepts the URL-safe alphabet, padded or not; nullopt for anything else.
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

}  // namespace artery::fhir
