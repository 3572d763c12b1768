#include "mllp_source.hpp"

#include <artery/tcp_listener.hpp>

#include "mllp_session.hpp"

namespace artery::mllp {
namespace {

TcpListenerSettings listener_settings(const SourceSettings& s) {
  TcpListenerSettings l;
  l.name = "mllp";
  l.listen = s.listen;
  l.max_connections = s.max_connections;
  l.idle_timeout = s.idle_timeout;
  l.threads = s.threads;
  l.tls = s.tls;
  l.stop_grace = std::chrono::seconds(10);
  return l;
}

}  // namespace

MllpSource::MllpSource(SourceSettings settings, ConnectorContext& context)
    : state_(std::make_shared<MllpSourceState>(std::move(settings), context)),
      listener_(std::make_unique<TcpListener>(listener_settings(state_->settings), context,
                                              [state = state_](TcpConnection& connection) {
                                                return std::make_unique<MllpSession>(state, connection);
                                              })) {}

MllpSource::~MllpSource() { stop(); }

std::uint16_t MllpSource::local_port() const { return listener_->local_port(); }

bool MllpSource::start(SourceHost& host, std::string& error) {
  if (state_->host) {
    error = "mllp source already started";
    return false;
  }
  state_->host = &host;
  if (state_->settings.dedup_window.count() > 0)
    state_->duplicates = std::make_unique<DuplicateWindow>(state_->settings.dedup_window);
  return listener_->start(error);
}

void MllpSource::stop() { listener_->stop(); }

std::unique_ptr<Source> create_mllp_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Source> {
    auto settings = read_source_settings(options, context.base_dir().string(), error);
    if (!settings) return nullptr;
    return std::make_unique<MllpSource>(std::move(*settings), context);
  });
}

}  // namespace artery::mllp
