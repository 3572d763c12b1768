// A connection-oriented source in one piece: a Source that is a TcpListener.
// start() binds and accepts, stop() is the listener's graceful stop; the
// plugin supplies only its TcpSession (framing and acknowledgement), made
// with the SourceHost it hands messages to.
#pragma once
#include <artery/plugin.hpp>
#include <artery/tcp_listener.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace artery {

class TcpSource : public Source {
 public:
  using SessionFactory = std::function<std::unique_ptr<TcpSession>(SourceHost& host, TcpConnection& connection)>;

  TcpSource(TcpListenerSettings settings, ConnectorContext& context, SessionFactory sessions);
  ~TcpSource() override;

  bool start(SourceHost& host, std::string& error) override;
  void stop() override;
  // The port actually bound (listen with port 0 picks a free one: tests).
  std::uint16_t local_port() const;

 private:
  SourceHost* host_ = nullptr;  // set by start(), before any session exists
  std::unique_ptr<TcpListener> listener_;
};

}  // namespace artery
