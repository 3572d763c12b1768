#include <artery/tcp_source.hpp>

namespace artery {

TcpSource::TcpSource(TcpListenerSettings settings, ConnectorContext& context, SessionFactory sessions)
    : listener_(std::make_unique<TcpListener>(std::move(settings), context,
                                              [this, sessions = std::move(sessions)](TcpConnection& connection) {
                                                return sessions(*host_, connection);
                                              })) {}

TcpSource::~TcpSource() { stop(); }

bool TcpSource::start(SourceHost& host, std::string& error) {
  if (host_) {
    error = "source already started";
    return false;
  }
  host_ = &host;
  return listener_->start(error);
}

void TcpSource::stop() { listener_->stop(); }

std::uint16_t TcpSource::local_port() const { return listener_->local_port(); }

}  // namespace artery
