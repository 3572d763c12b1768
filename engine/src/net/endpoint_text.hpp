// How a TCP peer is named in logs and in a message's `remote` attribute.
#pragma once
#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace artery::net {

// "10.0.0.5:51234"; "[::1]:51234"; an IPv4-mapped IPv6 address as plain IPv4.
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace artery::net
