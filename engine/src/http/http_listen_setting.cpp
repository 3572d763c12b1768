// The `--http` / `http:` setting: an address or "off".
#include <artery/http_server.hpp>

namespace artery {

std::optional<HttpListenSetting> parse_http_listen(std::string_view text) {
  HttpListenSetting setting;
  if (text.empty() || text == "off" || text == "false" || text == "none") return setting;
  auto address = parse_address(text);
  if (!address) return std::nullopt;
  setting.enabled = true;
  setting.address = std::move(*address);
  return setting;
}

}  // namespace artery
