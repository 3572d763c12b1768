#include "support/tls_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include <sys/socket.h>
#include <sys/time.h>

namespace artery::testing {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

struct TlsClient::Impl {
  asio::io_context io;
  ssl::context context{ssl::context::tls_client};
  std::unique_ptr<ssl::stream<tcp::socket>> stream;
  std::string error;
  std::string pending;
};

TlsClient::TlsClient(int port, const Options& options) : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  boost::system::error_code ec;
  if (!options.ca.empty()) {
    im.context.load_verify_file(options.ca, ec);
    im.context.set_verify_mode(ssl::verify_peer);
  }
  if (options.max_version == "1.2") SSL_CTX_set_max_proto_version(im.context.native_handle(), TLS1_2_VERSION);
  if (!options.cert.empty()) {
    im.context.use_certificate_chain_file(options.cert, ec);
    im.context.use_private_key_file(options.key, ssl::context::pem, ec);
  }
  im.stream = std::make_unique<ssl::stream<tcp::socket>>(im.io, im.context);
  auto& socket = im.stream->next_layer();
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  if (ec) {
    im.error = "connect: " + ec.message();
    return;
  }
  timeval timeout{10, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  im.stream->handshake(ssl::stream_base::client, ec);
  if (ec) im.error = "handshake: " + ec.message();
}

TlsClient::~TlsClient() = default;

const std::string& TlsClient::handshake_error() const { return impl_->error; }

void TlsClient::write(const std::string& bytes) { asio::write(*impl_->stream, asio::buffer(bytes)); }

std::string TlsClient::read_until(const std::string& terminator) {
  Impl& im = *impl_;
  for (;;) {
    auto at = im.pending.find(terminator);
    if (at != std::string::npos) {
      std::string out = im.pending.substr(0, at + terminator.size());
      im.pending.erase(0, at + terminator.size());
      return out;
    }
    char chunk[16384];
    boost::system::error_code ec;
    std::size_t n = im.stream->read_some(asio::buffer(chunk), ec);
    if (ec || n == 0) return {};
    im.pending.append(chunk, n);
  }
}

std::string TlsClient::read_line() {
  std::string line = read_until("\n");
  if (!line.empty()) line.pop_back();
  return line;
}

bool TlsClient::closed_by_peer() {
  Impl& im = *impl_;
  char chunk[4096];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = im.stream->read_some(asio::buffer(chunk), ec);
    if (ec) return ec == asio::error::eof || ec == ssl::error::stream_truncated || ec == asio::error::connection_reset;
    im.pending.append(chunk, n);
  }
}

std::string TlsClient::read_all() {
  Impl& im = *impl_;
  std::string out = std::move(im.pending);
  im.pending.clear();
  char chunk[16384];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n = im.stream->read_some(asio::buffer(chunk), ec);
    if (ec || n == 0) return out;
    out.append(chunk, n);
  }
}

std::string tls_exchange(int port, const TlsClient::Options& options, const std::string& request,
                         const std::string& terminator, std::string* error) {
  TlsClient client(port, options);
  if (error) *error = client.handshake_error();
  if (!client.handshake_error().empty()) return {};
  try {
    client.write(request);
  } catch (const std::exception&) {
    return {};  // refused after the handshake, before the request was written
  }
  return terminator.empty() ? client.read_all() : client.read_until(terminator);
}

}  // namespace artery::testing
