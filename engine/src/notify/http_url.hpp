// An http:// or https:// URL split into what a client needs to dial and ask.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artery::notify {

struct HttpUrl {
  bool tls = false;       // https
  std::string host;       // without brackets for IPv6 literals
  std::uint16_t port = 0; // 80 / 443 unless written
  std::string target;     // path and query, "/" when the URL has none
  // user:password@ written in the URL (becomes basic auth when no auth is configured).
  std::string user, password;

  // host[:port] as the Host header wants it (the port only when not the default).
  std::string host_header() const;
};

// nullopt with `problem` set for anything but a well-formed http(s) URL.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string& problem);

}  // namespace artery::notify
