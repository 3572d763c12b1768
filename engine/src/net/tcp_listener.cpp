#include <artery/tcp_listener.hpp>

#include "net/endpoint_text.hpp"
#include "net/tcp_stream_connection.hpp"

#include <artery/tls_context.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <optional>
#include <thread>
#include <vector>

namespace artery {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using detail::TcpConnectionCore;
using detail::TcpListenerShared;
using detail::TcpStreamConnection;

struct TcpListener::Impl : std::enable_shared_from_this<TcpListener::Impl> {
  Impl(TcpListenerSettings settings, ConnectorContext& context, TcpSessionFactory sessions)
      : shared(std::make_shared<TcpListenerShared>(std::move(settings), context, std::move(sessions))) {}

  std::shared_ptr<TcpListenerShared> shared;
  // One io_context per I/O thread, each run by one thread: a connection's
  // handlers never need a strand or a lock.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_pause;  // after a failed accept (out of file descriptors)
  std::optional<ssl::context> tls;
  // The pooled socket the acceptor listens on (a dup of it), when the
  // context has a pool: it outlives this listener while a newer version of
  // the connector holds it too, which is how a redeploy keeps the port open.
  std::unique_ptr<ListenSocket> claim;
  std::uint16_t port = 0;
  std::size_t next_context = 0;
  bool started = false;
  bool stopped = false;

  const TcpListenerSettings& settings() const { return shared->settings; }

  bool bind(std::string& error);
  void accept();
  void admit(tcp::socket socket);
  std::shared_ptr<TcpConnectionCore> choose_victim(TcpConnectionCore::Clock::time_point now);
};

bool TcpListener::Impl::bind(std::string& error) {
  const auto& listen = settings().listen;
  const std::string where =
      "cannot listen on " + (listen.host.empty() ? std::string("0.0.0.0") : listen.host) + ":" + std::to_string(listen.port);
  try {
    boost::system::error_code ec;
    asio::io_context& io = *contexts.front();
    tcp::endpoint endpoint;
    if (listen.host.empty() || listen.host == "*") {
      endpoint = tcp::endpoint(tcp::v4(), listen.port);
    } else {
      auto address = asio::ip::make_address(listen.host, ec);
      if (ec) {
        tcp::resolver resolver(io);
        auto results = resolver.resolve(listen.host, std::to_string(listen.port), ec);
        if (ec || results.empty()) {
          error = where + ": cannot resolve '" + listen.host + "'" + (ec ? ": " + ec.message() : "");
          return false;
        }
        endpoint = results.begin()->endpoint();
      } else {
        endpoint = tcp::endpoint(address, listen.port);
      }
    }
    acceptor.emplace(io);
    accept_pause.emplace(io);
    if (ListenSockets* pool = shared->context.listen_sockets()) {
      claim = pool->acquire(endpoint.address().to_string(), endpoint.port(), error);
      if (!claim) {
        error = where + ": " + error;
        acceptor.reset();
        return false;
      }
      // Our own descriptor for Asio to own and close; the pool keeps its own.
      const int fd = ::fcntl(claim->fd(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {
        error = where + ": " + std::strerror(errno);
        acceptor.reset();
        claim.reset();
        return false;
      }
      acceptor->assign(endpoint.protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        error = where + ": " + ec.message();
        acceptor.reset();
        claim.reset();
        return false;
      }
      port = acceptor->local_endpoint().port();
      return true;
    }
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(endpoint, ec);
    if (ec) {
      error = where + ": " + ec.message();
      acceptor.reset();
      return false;
    }
    acceptor->listen(asio::socket_base::max_listen_connections);
    port = acceptor->local_endpoint().port();
    return true;
  } catch (const boost::system::system_error& e) {
    error = where + ": " + e.code().message();  // what() appends Boost's source location
  } catch (const std::exception& e) {
    error = where + ": " + e.what();
  }
  acceptor.reset();
  claim.reset();
  return false;
}

void TcpListener::Impl::accept() {
  asio::io_context& target = *contexts[next_context++ % contexts.size()];
  auto self = shared_from_this();
  acceptor->async_accept(target, [self](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    const bool open = self->acceptor && self->acceptor->is_open();
    if (!ec) {
      // Accepted before stop() closed the acceptor: the peer has connected,
      // so it is served (and told to stop like any other), never dropped.
      self->admit(std::move(socket));
      if (open) self->accept();
      return;
    }
    if (!open) return;
    // EMFILE and the like fail again at once: pause instead of spinning a core.
    self->shared->log(LogLevel::warn, "accept failed: " + ec.message() + "; retrying in 100 ms");
    self->accept_pause->expires_after(std::chrono::milliseconds(100));
    self->accept_pause->async_wait([self](const boost::system::error_code& wait_error) {
      if (!wait_error && self->acceptor && self->acceptor->is_open()) self->accept();
    });
  });
}

std::shared_ptr<TcpConnectionCore> TcpListener::Impl::choose_victim(TcpConnectionCore::Clock::time_point now) {
  // Caller holds shared->mutex. Linear in max_connections, and only when full.
  std::shared_ptr<TcpConnectionCore> victim;
  for (const auto& c : shared->live) {
    if (c->evict_marked || !c->evictable(now)) continue;
    if (!victim || c->last_activity() < victim->last_activity()) victim = c;
  }
  return victim;
}

void TcpListener::Impl::admit(tcp::socket socket) {
  boost::system::error_code ignored;
  TcpPeer peer;
  peer.remote = net::endpoint_text(socket.remote_endpoint(ignored));
  peer.local_port = port;
  const auto limit = static_cast<std::size_t>(std::max(1, settings().max_connections));

  std::shared_ptr<TcpConnectionCore> connection;
  std::shared_ptr<TcpConnectionCore> victim;
  {
    std::lock_guard lock(shared->mutex);
    if (shared->stopping) return;  // dropped unanswered: it sent nothing yet
    if (shared->live.size() - shared->evicting >= limit) {
      victim = choose_victim(TcpConnectionCore::Clock::now());
      if (victim) {
        victim->evict_marked = true;
        ++shared->evicting;
      }
    }
    if (shared->live.size() - shared->evicting < limit) {
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls)
        connection = std::make_shared<TcpStreamConnection<ssl::stream<tcp::socket>>>(
            shared, ssl::stream<tcp::socket>(std::move(socket), *tls), std::move(peer));
      else
        connection = std::make_shared<TcpStreamConnection<tcp::socket>>(shared, std::move(socket), std::move(peer));
      shared->live.insert(connection);
    }
  }
  if (!connection) {
    shared->metrics.connection_refused();
    shared->log(LogLevel::warn, "refusing connection from " + peer.remote + ": max_connections (" +
                                    std::to_string(limit) + ") reached and none idle");
    socket.close(ignored);
    return;
  }
  shared->metrics.connection_opened();
  shared->log(LogLevel::debug, "connection from " + connection->peer().remote);
  asio::post(connection->executor(), [connection] { connection->start(); });
  if (victim)
    asio::post(victim->executor(), [victim, newcomer = connection->peer().remote] { victim->evict(newcomer); });
}

TcpListener::TcpListener(TcpListenerSettings settings, ConnectorContext& context, TcpSessionFactory sessions)
    : impl_(std::make_shared<Impl>(std::move(settings), context, std::move(sessions))) {}

TcpListener::~TcpListener() { stop(); }

std::uint16_t TcpListener::local_port() const { return impl_->port; }

bool TcpListener::start(std::string& error) {
  Impl& im = *impl_;
  if (im.started) {
    error = im.settings().name + " listener already started";
    return false;
  }
  if (im.settings().tls.enabled) {
    im.tls = make_server_tls_context(im.settings().tls, error);
    if (!im.tls) return false;
  }
  const int threads = std::max(1, im.settings().threads);
  for (int i = 0; i < threads; ++i) {
    im.contexts.push_back(std::make_unique<asio::io_context>(1));
    im.guards.push_back(asio::make_work_guard(*im.contexts.back()));
  }
  if (!im.bind(error)) {
    // Every I/O object goes before the io_context it was made on (ASan found
    // the accept-pause timer outliving its context when a port was taken).
    im.acceptor.reset();
    im.accept_pause.reset();
    im.claim.reset();
    im.guards.clear();
    im.contexts.clear();
    return false;
  }
  asio::post(*im.contexts.front(), [keep = impl_] { keep->accept(); });
  for (auto& context : im.contexts) {
    asio::io_context* io = context.get();
    im.threads.emplace_back([io] { io->run(); });
  }
  im.started = true;
  const auto bound = im.acceptor->local_endpoint().address();
  const std::string bound_host = bound.is_v6() ? "[" + bound.to_string() + "]" : bound.to_string();
  im.shared->log(LogLevel::info,
                 "listening on " + bound_host + ":" + std::to_string(im.port) + (im.tls ? " (TLS)" : ""));
  // Every TCP source (MLLP, SystemOne, any plugin's) is warned about here,
  // where the bound address and TLS are known.
  const std::string exposed = plaintext_listener_warning(
      bound.to_string(), im.port, im.tls.has_value(),
      "set tls: {enabled: true, cert: ..., key: ...} in this source, or listen on 127.0.0.1 (docs/security.md#tls)");
  if (!exposed.empty()) im.shared->log(LogLevel::warn, exposed);
  return true;
}

void TcpListener::stop() {
  Impl& im = *impl_;
  if (!im.started || im.stopped) return;
  im.stopped = true;
  auto shared = im.shared;
  {
    // The acceptor closes first, on its own thread, and only then does
    // `stopping` turn admit() away: a connection accepted just before is
    // admitted (and stopped with the others below), and one still in the
    // socket's backlog stays there for a newer listener on a pooled socket.
    // Accepts complete on that thread in order, so none is admitted after
    // the close has run.
    std::promise<void> closed;
    asio::post(*im.contexts.front(), [&im, &closed] {
      boost::system::error_code ignored;
      if (im.acceptor) im.acceptor->close(ignored);
      if (im.accept_pause) im.accept_pause->cancel();
      closed.set_value();
    });
    closed.get_future().wait();
  }
  {
    // Under the registry lock: no connection is admitted after the snapshot below.
    std::lock_guard lock(shared->mutex);
    shared->stopping = true;
  }
  std::vector<std::shared_ptr<TcpConnectionCore>> live;
  {
    std::lock_guard lock(shared->mutex);
    live.assign(shared->live.begin(), shared->live.end());
  }
  for (auto& c : live) asio::post(c->executor(), [c] { c->begin_stop(); });
  live.clear();
  // Requests in flight get their answer, for a while.
  {
    std::unique_lock lock(shared->mutex);
    if (!shared->drained.wait_for(lock, im.settings().stop_grace, [&] { return shared->live.empty(); })) {
      shared->log(LogLevel::warn, std::to_string(shared->live.size()) +
                                      " connection(s) still waiting for the channel at stop; closing them");
      live.assign(shared->live.begin(), shared->live.end());
    }
  }
  for (auto& c : live) asio::post(c->executor(), [c] { c->force_close(); });
  live.clear();
  {
    std::lock_guard lock(shared->gate->mutex);
    shared->gate->open = false;
  }
  im.guards.clear();
  for (auto& context : im.contexts) context->stop();
  for (auto& t : im.threads) t.join();
  im.threads.clear();
  im.acceptor.reset();
  im.accept_pause.reset();
  im.claim.reset();  // the port closes here unless a newer version holds it too
  {
    std::lock_guard lock(shared->mutex);
    shared->live.clear();
  }
  // Destroying the contexts destroys the handlers still holding connections,
  // while the contexts' services still exist.
  im.contexts.clear();
}

}  // namespace artery
