// A webhook's http:// or https:// URL: the core client's URL, plus the
// user:password@ a webhook URL may carry (the core client refuses it, since
// its connectors take credentials from their auth options instead).
#pragma once
#include <artery/http_client.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace artery::notify {

struct HttpUrl : artery::HttpUrl {
  // user:password@ written in the URL (becomes basic auth when no auth is configured).
  std::string user, password;
};

// nullopt with `problem` set for anything but a well-formed http(s) URL.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& problem);

}  // namespace artery::notify
