#include "net/endpoint_text.hpp"

namespace artery::net {

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
  namespace ip = boost::asio::ip;
  auto address = endpoint.address();
  std::string host;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    host = ip::make_address_v4(ip::v4_mapped, address.to_v6()).to_string();
  else if (address.is_v6())
    host = "[" + address.to_string() + "]";
  else
    host = address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace artery::net
