#include "mllp_source.hpp"

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

TcpSource::SessionFactory sessions(const SourceSettings& settings, ConnectorContext& context) {
  auto state = std::make_shared<MllpSourceState>(settings, context);
  if (state->settings.dedup_window.count() > 0)
    state->duplicates = std::make_unique<DuplicateWindow>(state->settings.dedup_window);
  return [state](SourceHost& host, TcpConnection& connection) {
    return std::make_unique<MllpSession>(state, host, connection);
  };
}

}  // namespace

MllpSource::MllpSource(SourceSettings settings, ConnectorContext& context)
    // (settings copied, not moved: the order the arguments are evaluated in is unspecified)
    : TcpSource(listener_settings(settings), context, sessions(settings, context)) {}

std::unique_ptr<Source> create_mllp_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Source> {
    auto settings = read_source_settings(options, context.base_dir().string(), error);
    if (!settings) return nullptr;
    return std::make_unique<MllpSource>(std::move(*settings), context);
  });
}

}  // namespace artery::mllp
