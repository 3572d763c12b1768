#include "notify/http_url.hpp"

#include <algorithm>

namespace artery::notify {

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& problem) {
  HttpUrl url;
  std::string rest(text);
  // Take user:password@ out of the authority; the core parser does the rest.
  if (const auto scheme_end = text.find("://"); scheme_end != std::string_view::npos) {
    const std::size_t authority_at = scheme_end + 3;
    const std::size_t authority_end = std::min(text.find_first_of("/?#", authority_at), text.size());
    const std::string_view authority = text.substr(authority_at, authority_end - authority_at);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      const auto colon = userinfo.find(':');
      url.user = std::string(userinfo.substr(0, colon));
      if (colon != std::string_view::npos) url.password = std::string(userinfo.substr(colon + 1));
      rest = std::string(text.substr(0, authority_at)) + std::string(text.substr(authority_at + at + 1));
    }
  }
  auto parsed = artery::HttpUrl::parse(rest, problem);
  if (!parsed) return std::nullopt;
  static_cast<artery::HttpUrl&>(url) = std::move(*parsed);
  return url;
}

}  // namespace artery::notify
