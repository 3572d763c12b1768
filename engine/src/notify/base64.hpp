// Base64 (RFC 4648, with padding) for HTTP basic auth, SMTP AUTH and MIME bodies.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace artery::notify {

std::string base64_encode(std::string_view bytes);
// MIME style: the encoding broken into lines of 76 characters with CRLF.
std::string base64_encode_lines(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace artery::notify
