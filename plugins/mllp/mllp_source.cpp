#include "mllp_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "ack_policy.hpp"
#include "charset.hpp"
#include "duplicate_window.hpp"
#include "frame_header.hpp"
#include "mllp_framer.hpp"
#include "tls_setup.hpp"

#include <artery/hl7.hpp>

#include <functional>
#include <optional>

namespace artery::mllp {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadSize = 64 * 1024;
// Frames a pipelining sender may have awaiting their disposition before the
// connection stops reading (back-pressure instead of unbounded memory).
constexpr std::size_t kMaxInFlight = 512;
constexpr auto kDrainTimeout = std::chrono::seconds(10);

std::string frame(std::string_view content) {
  std::string out;
  out.reserve(content.size() + 3);
  out.push_back(kStartBlock);
  out.append(content);
  out.push_back(kEndBlock);
  out.push_back(kCarriageReturn);
  return out;
}

const std::string kCommitAck = std::string{kStartBlock, 0x06, kEndBlock, kCarriageReturn};
const std::string kCommitNak = std::string{kStartBlock, 0x15, kEndBlock, kCarriageReturn};

std::string endpoint_text(const tcp::endpoint& e) {
  auto address = e.address();
  std::string host;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    host = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  else if (address.is_v6())
    host = "[" + address.to_string() + "]";
  else
    host = address.to_string();
  return host + ":" + std::to_string(e.port());
}

}  // namespace

class ConnectionBase;

// Lets disposition callbacks reach connections only while the I/O threads run:
// the engine may call back after the source stopped.
struct ReplyGate {
  std::mutex mutex;
  bool open = true;
};

// State shared by the listener and its connections.
struct ListenerState {
  SourceSettings settings;
  ConnectorContext& context;
  SourceHost* host = nullptr;
  std::unique_ptr<DuplicateWindow> duplicates;
  std::shared_ptr<ReplyGate> gate = std::make_shared<ReplyGate>();
  std::atomic<bool> stopping{false};

  std::mutex mutex;  // guards `live`
  std::condition_variable drained;
  std::unordered_set<std::shared_ptr<ConnectionBase>> live;

  ListenerState(SourceSettings s, ConnectorContext& c) : settings(std::move(s)), context(c) {}
  void log(LogLevel level, const std::string& text) { context.log(level, text); }
};

class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual ~ConnectionBase() = default;
  virtual void begin_stop() = 0;  // on the connection's executor
  virtual void force_close() = 0;
  virtual asio::any_io_executor executor() = 0;
};

template <class Stream>
class Connection final : public ConnectionBase {
 public:
  Connection(std::shared_ptr<ListenerState> state, Stream stream, std::string remote, std::uint16_t local_port)
      : state_(std::move(state)),
        stream_(std::move(stream)),
        framer_(state_->settings.max_message_size),
        idle_timer_(stream_.get_executor()),
        resume_timer_(stream_.get_executor()),
        drain_timer_(stream_.get_executor()),
        remote_(std::move(remote)) {
    attributes_.emplace_back("remote", remote_);
    attributes_.emplace_back("local_port", std::to_string(local_port));
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  void start() {
    last_activity_ = Clock::now();
    auto self = std::static_pointer_cast<Connection>(shared_from_this());
    asio::co_spawn(executor(), self->read_loop(), [self](std::exception_ptr e) {
      if (e) self->fail_from_exception(e);
    });
    if (state_->settings.idle_timeout.count() > 0)
      asio::co_spawn(executor(), self->watch_idle(), [self](std::exception_ptr e) {
        if (e) self->fail_from_exception(e);
      });
  }

  void begin_stop() override {
    stopping_ = true;
    maybe_finish();
  }

  void force_close() override { close(); }

 private:
  struct PendingReply {
    bool ready = false;
    bool latin1 = false;
    std::string reply;        // framed bytes; empty: nothing to send
    FrameHeader header;       // to build the ACK when the disposition arrives
    std::string raw_for_ack;  // only when the MSH could not be parsed
    std::string duplicate_key;
  };

  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) return stream_;
    else return stream_.next_layer();
  }

  asio::awaitable<void> read_loop() {
    boost::system::error_code ec;
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      co_await stream_.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        state_->log(LogLevel::warn, "mllp: TLS handshake with " + remote_ + " failed: " + ec.message());
        read_closed_ = true;
        close();
        co_return;
      }
      std::string subject = peer_subject(stream_.native_handle());
      if (!subject.empty()) attributes_.emplace_back("tls_peer_subject", std::move(subject));
    }
    std::size_t junk_seen = 0;
    bool peer_done = false;  // EOF or error, as opposed to our decision to stop reading
    while (!closed_ && !closing_) {
      if (pending_.size() >= kMaxInFlight) {
        paused_ = true;
        resume_timer_.expires_at(Clock::time_point::max());
        co_await resume_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        paused_ = false;
        continue;
      }
      std::size_t space = 0;
      char* into = framer_.prepare(kReadSize, space);
      std::size_t n = co_await stream_.async_read_some(asio::buffer(into, space),
                                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        peer_done = true;
        break;
      }
      framer_.commit(n);
      last_activity_ = Clock::now();
      for (;;) {
        auto result = framer_.next();
        if (result.event == MllpFramer::Event::need_more) break;
        if (result.event == MllpFramer::Event::frame) {
          on_frame(result.content);
        } else {
          on_oversize(result.content);
          break;
        }
        if (closing_) break;
      }
      if (framer_.junk_bytes() != junk_seen) {
        state_->log(LogLevel::warn, "mllp: discarded " + std::to_string(framer_.junk_bytes() - junk_seen) +
                                        " junk bytes outside frames from " + remote_);
        junk_seen = framer_.junk_bytes();
      }
    }
    if (!closing_ && framer_.in_frame())
      state_->log(LogLevel::warn, "mllp: " + remote_ + " closed the connection in the middle of a frame (" +
                                      std::to_string(framer_.buffered()) + " bytes discarded)");
    if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted && ec != ssl::error::stream_truncated)
      state_->log(LogLevel::debug, "mllp: read from " + remote_ + ": " + ec.message());
    read_closed_ = peer_done || closed_;
    // A half-closed peer still gets the answers to what it sent.
    maybe_finish();
  }

  asio::awaitable<void> watch_idle() {
    const auto idle = state_->settings.idle_timeout;
    boost::system::error_code ec;
    while (!closed_) {
      idle_timer_.expires_at(last_activity_ + idle);
      co_await idle_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (closed_) co_return;
      auto now = Clock::now();
      if (now < last_activity_ + idle) continue;
      if (!pending_.empty() || writing_) {
        last_activity_ = now;  // waiting for the channel is not idleness
        continue;
      }
      state_->log(LogLevel::info, "mllp: closing idle connection from " + remote_);
      close();
    }
  }

  void on_frame(std::string_view content) {
    if (stopping_) return;  // not acknowledged: the sender resends after we restart
    const auto& settings = state_->settings;
    FrameHeader header = read_frame_header(content);
    bool latin1 = settings.charset == CharsetMode::latin1 ||
                  (settings.charset == CharsetMode::automatic && names_latin1(header.charset));
    std::string body;
    if (latin1 && !is_ascii(content)) {
      body = latin1_to_utf8(content);
      header = read_frame_header(body);  // so ACKs are built from UTF-8 and converted back once
    } else {
      body.assign(content);
    }
    std::uint64_t seq = next_seq_++;
    PendingReply& slot = pending_.emplace_back();
    slot.latin1 = latin1;
    if (!header.msh) slot.raw_for_ack = body;
    if (state_->duplicates)
      slot.duplicate_key =
          DuplicateWindow::key(header.sending_application, header.sending_facility, header.control_id);
    slot.header = std::move(header);

    if (state_->duplicates && state_->duplicates->contains(slot.duplicate_key)) {
      state_->log(LogLevel::info, "mllp: duplicate of message " + slot.header.control_id + " from " + remote_ +
                                      " acknowledged again, not stored twice");
      Disposition again;
      again.status = Disposition::Status::accepted;
      slot.duplicate_key.clear();
      resolve(seq, std::move(again));
      return;
    }

    std::weak_ptr<ConnectionBase> weak = shared_from_this();
    auto answer = [gate = state_->gate, weak = std::move(weak), seq](Disposition d) {
      std::lock_guard lock(gate->mutex);
      if (!gate->open) return;
      auto self = weak.lock();
      if (!self) return;
      auto* connection = static_cast<Connection*>(self.get());
      asio::post(connection->executor(), [self = std::move(self), connection, seq, d = std::move(d)]() mutable {
        connection->resolve(seq, std::move(d));
      });
    };
    // A batch (FHS/BHS, or several messages back to back) is stored as its
    // messages, one by one, and acknowledged once when all are stored.
    std::optional<std::vector<std::string>> parts;
    if (slot.header.batch || body.find("\rMSH") != std::string::npos || body.find("\nMSH") != std::string::npos)
      parts = hl7::split_batch(body);
    if (parts && parts->size() > 1) {
      auto batch = std::make_shared<BatchOutcome>(parts->size(), std::move(answer));
      for (auto& part : *parts)
        state_->host->submit(Message{std::move(part), data_type::hl7v2, attributes_},
                             [batch](Disposition d) { batch->add(std::move(d)); });
      return;
    }
    state_->host->submit(Message{std::move(body), data_type::hl7v2, attributes_}, std::move(answer));
  }

  // The dispositions of a batch's messages folded into one: the worst wins
  // (unavailable: resend all, then rejected, then errored), custom responses
  // are dropped (one ACK answers the whole frame).
  class BatchOutcome {
   public:
    BatchOutcome(std::size_t parts, std::function<void(Disposition)> done) : remaining_(parts), done_(std::move(done)) {
      folded_.status = Disposition::Status::accepted;
    }
    void add(Disposition d) {
      std::unique_lock lock(mutex_);
      if (rank(d.status) > rank(folded_.status)) {
        folded_.status = d.status;
        folded_.error = std::move(d.error);
      }
      if (!folded_.message_id) folded_.message_id = d.message_id;
      if (--remaining_ > 0) return;
      Disposition out = std::move(folded_);
      lock.unlock();
      done_(std::move(out));
    }

   private:
    static int rank(Disposition::Status s) {
      switch (s) {
        case Disposition::Status::accepted: return 0;
        case Disposition::Status::filtered: return 0;
        case Disposition::Status::errored: return 1;
        case Disposition::Status::rejected: return 2;
        case Disposition::Status::unavailable: return 3;
      }
      return 3;
    }
    std::mutex mutex_;
    std::size_t remaining_;
    std::function<void(Disposition)> done_;
    Disposition folded_;
  };

  void on_oversize(std::string_view head) {
    const auto limit = state_->settings.max_message_size;
    state_->log(LogLevel::warn, "mllp: frame from " + remote_ + " exceeds max_message_size (" +
                                    std::to_string(limit) + " bytes); answered AR and closing the connection");
    PendingReply& slot = pending_.emplace_back();
    ++next_seq_;
    slot.ready = true;
    if (state_->settings.commit_ack) {
      slot.reply = kCommitNak;
    } else {
      FrameHeader header = read_frame_header(head.substr(0, std::min<std::size_t>(head.size(), 64 * 1024)));
      AckDecision decision{true, "AR", "message too large (more than " + std::to_string(limit) + " bytes)"};
      slot.reply = frame(render_ack(header, header.msh ? std::string_view{} : find_msh_segment(head), decision));
    }
    closing_ = true;
    flush();
  }

  void resolve(std::uint64_t seq, Disposition disposition) {
    if (seq < head_seq_ || seq - head_seq_ >= pending_.size()) return;
    PendingReply& slot = pending_[seq - head_seq_];
    const bool success = disposition.status == Disposition::Status::accepted ||
                         disposition.status == Disposition::Status::filtered;
    if (success && !slot.duplicate_key.empty()) state_->duplicates->remember(slot.duplicate_key);
    if (state_->settings.commit_ack) {
      slot.reply = success ? kCommitAck : kCommitNak;
    } else if (!disposition.response.empty()) {
      slot.reply = frame(slot.latin1 ? utf8_to_latin1(disposition.response) : disposition.response);
    } else {
      // A batch is acknowledged once, in original mode, whatever its first MSH asks.
      AckDecision decision =
          decide_ack(disposition, slot.header.batch ? std::string_view{} : slot.header.accept_ack_type);
      if (decision.send) {
        std::string ack = render_ack(slot.header, slot.raw_for_ack, decision);
        slot.reply = frame(slot.latin1 ? utf8_to_latin1(ack) : ack);
      }
    }
    if (disposition.status == Disposition::Status::unavailable || disposition.status == Disposition::Status::errored)
      state_->log(LogLevel::debug, "mllp: message " + slot.header.control_id + " from " + remote_ +
                                       " not accepted: " + one_line(disposition.error));
    slot.ready = true;
    flush();
  }

  // Writes every answer that is ready, in arrival order, in one write.
  void flush() {
    if (writing_ || closed_) return;
    while (!pending_.empty() && pending_.front().ready) {
      out_.append(pending_.front().reply);
      pending_.pop_front();
      ++head_seq_;
    }
    if (paused_ && pending_.size() < kMaxInFlight) resume_timer_.cancel();
    if (out_.empty()) {
      maybe_finish();
      return;
    }
    std::swap(out_, in_flight_);
    out_.clear();
    writing_ = true;
    auto self = std::static_pointer_cast<Connection>(shared_from_this());
    asio::async_write(stream_, asio::buffer(in_flight_),
                      [self](const boost::system::error_code& ec, std::size_t) {
                        self->writing_ = false;
                        self->in_flight_.clear();
                        if (ec) {
                          self->state_->log(LogLevel::warn,
                                            "mllp: could not answer " + self->remote_ + ": " + ec.message());
                          self->close();
                          return;
                        }
                        self->flush();
                      });
  }

  void maybe_finish() {
    if (closed_ || draining_) return;
    if (!(read_closed_ || closing_ || stopping_) || !pending_.empty() || writing_) return;
    if (closing_ && !read_closed_) {
      drain_then_close();
    } else {
      close();
    }
  }

  // After refusing an oversize frame the peer may still be sending it. Closing
  // with unread bytes would reset the connection and could destroy our AR in
  // flight, so signal end of data and swallow input until the peer closes.
  void drain_then_close() {
    draining_ = true;
    boost::system::error_code ignored;
    if constexpr (std::is_same_v<Stream, tcp::socket>) socket().shutdown(tcp::socket::shutdown_send, ignored);
    auto self = std::static_pointer_cast<Connection>(shared_from_this());
    drain_timer_.expires_after(std::chrono::seconds(2));
    drain_timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->close();
    });
    asio::co_spawn(executor(), self->drain(), [self](std::exception_ptr) { self->close(); });
  }

  asio::awaitable<void> drain() {
    boost::system::error_code ec;
    char sink[4096];
    while (!closed_) {
      co_await socket().async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    idle_timer_.cancel();
    resume_timer_.cancel();
    drain_timer_.cancel();
    std::lock_guard lock(state_->mutex);
    state_->live.erase(shared_from_this());
    if (state_->live.empty()) state_->drained.notify_all();
  }

  void fail_from_exception(std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      state_->log(LogLevel::error, "mllp: connection " + remote_ + " failed: " + ex.what());
    } catch (...) {
      state_->log(LogLevel::error, "mllp: connection " + remote_ + " failed");
    }
    close();
  }

  std::shared_ptr<ListenerState> state_;
  Stream stream_;
  MllpFramer framer_;
  asio::steady_timer idle_timer_;
  asio::steady_timer resume_timer_;  // wakes a reader paused by back-pressure
  asio::steady_timer drain_timer_;   // bounds drain_then_close
  std::string remote_;
  std::vector<std::pair<std::string, std::string>> attributes_;
  Clock::time_point last_activity_;
  std::deque<PendingReply> pending_;
  std::uint64_t head_seq_ = 0;  // sequence number of pending_.front()
  std::uint64_t next_seq_ = 0;
  std::string out_, in_flight_;
  bool writing_ = false;
  bool paused_ = false;
  bool read_closed_ = false;
  bool closing_ = false;   // oversize: answer what is pending, then close
  bool stopping_ = false;  // source stopping: take no more frames
  bool draining_ = false;
  bool closed_ = false;
};

struct MllpSource::Impl {
  std::shared_ptr<ListenerState> state;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::optional<tcp::acceptor> acceptor;
  std::optional<ssl::context> tls;
  std::uint16_t port = 0;
  std::size_t next_context = 0;
  bool started = false;
  bool stopped = false;

  Impl(SourceSettings settings, ConnectorContext& context)
      : state(std::make_shared<ListenerState>(std::move(settings), context)) {}

  asio::awaitable<void> accept_loop() {
    auto& settings = state->settings;
    boost::system::error_code ec;
    while (!state->stopping) {
      asio::io_context& target = *contexts[next_context++ % contexts.size()];
      tcp::socket socket = co_await acceptor->async_accept(target, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || state->stopping) co_return;
        state->log(LogLevel::warn, "mllp: accept failed: " + ec.message());
        continue;
      }
      boost::system::error_code ignored;
      auto remote_endpoint = socket.remote_endpoint(ignored);
      std::string remote = endpoint_text(remote_endpoint);
      std::size_t live_count;
      {
        std::lock_guard lock(state->mutex);
        live_count = state->live.size();
      }
      if (live_count >= static_cast<std::size_t>(settings.max_connections)) {
        state->log(LogLevel::warn, "mllp: refusing connection from " + remote + ": max_connections (" +
                                       std::to_string(settings.max_connections) + ") reached");
        socket.close(ignored);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls) {
        auto c = std::make_shared<Connection<ssl::stream<tcp::socket>>>(
            state, ssl::stream<tcp::socket>(std::move(socket), *tls), remote, port);
        if (!register_connection(c)) co_return;
        c->start();
      } else {
        auto c = std::make_shared<Connection<tcp::socket>>(state, std::move(socket), remote, port);
        if (!register_connection(c)) co_return;
        c->start();
      }
      state->log(LogLevel::debug, "mllp: connection from " + remote);
    }
  }

  // False once stop() began: the connection is dropped unanswered (it sent nothing yet).
  bool register_connection(const std::shared_ptr<ConnectionBase>& c) {
    std::lock_guard lock(state->mutex);
    if (state->stopping) return false;
    state->live.insert(c);
    return true;
  }
};

MllpSource::MllpSource(SourceSettings settings, ConnectorContext& context)
    : impl_(std::make_shared<Impl>(std::move(settings), context)) {}

MllpSource::~MllpSource() { stop(); }

std::uint16_t MllpSource::local_port() const { return impl_->port; }

bool MllpSource::start(SourceHost& host, std::string& error) {
  Impl& im = *impl_;
  if (im.started) {
    error = "mllp source already started";
    return false;
  }
  auto& settings = im.state->settings;
  im.state->host = &host;
  if (settings.dedup_window.count() > 0)
    im.state->duplicates = std::make_unique<DuplicateWindow>(settings.dedup_window);
  if (settings.tls.enabled) {
    im.tls = make_server_tls(settings.tls, error);
    if (!im.tls) return false;
  }
  int threads = std::max(1, settings.threads);
  for (int i = 0; i < threads; ++i) {
    im.contexts.push_back(std::make_unique<asio::io_context>(1));
    im.guards.push_back(asio::make_work_guard(*im.contexts.back()));
  }
  std::string where = "cannot listen on " +
                      (settings.listen.host.empty() ? std::string("0.0.0.0") : settings.listen.host) + ":" +
                      std::to_string(settings.listen.port);
  try {
    boost::system::error_code ec;
    asio::io_context& io = *im.contexts.front();
    tcp::endpoint endpoint;
    const std::string& host_name = settings.listen.host;
    if (host_name.empty() || host_name == "*") {
      endpoint = tcp::endpoint(tcp::v4(), settings.listen.port);
    } else {
      auto address = asio::ip::make_address(host_name, ec);
      if (ec) {
        tcp::resolver resolver(io);
        auto results = resolver.resolve(host_name, std::to_string(settings.listen.port), ec);
        if (ec || results.empty()) {
          error = where + ": cannot resolve '" + host_name + "'" + (ec ? ": " + ec.message() : "");
          return false;
        }
        endpoint = results.begin()->endpoint();
      } else {
        endpoint = tcp::endpoint(address, settings.listen.port);
      }
    }
    im.acceptor.emplace(io);
    im.acceptor->open(endpoint.protocol());
    im.acceptor->set_option(asio::socket_base::reuse_address(true));
    im.acceptor->bind(endpoint, ec);
    if (ec) {
      error = where + ": " + ec.message();
      im.acceptor.reset();
      return false;
    }
    im.acceptor->listen(asio::socket_base::max_listen_connections);
    im.port = im.acceptor->local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    error = where + ": " + e.code().message();  // what() appends Boost's source location
    im.acceptor.reset();
    return false;
  } catch (const std::exception& e) {
    error = where + ": " + e.what();
    im.acceptor.reset();
    return false;
  }
  auto keep = impl_;
  asio::co_spawn(*im.contexts.front(), im.accept_loop(), [keep](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      keep->state->log(LogLevel::error, std::string("mllp: listener stopped: ") + ex.what());
    } catch (...) {
    }
  });
  for (auto& context : im.contexts) {
    asio::io_context* io = context.get();
    im.threads.emplace_back([io] { io->run(); });
  }
  im.started = true;
  const auto bound = im.acceptor->local_endpoint().address();
  const std::string bound_host = bound.is_v6() ? "[" + bound.to_string() + "]" : bound.to_string();
  im.state->log(LogLevel::info,
                "mllp: listening on " + bound_host + ":" + std::to_string(im.port) + (im.tls ? " (TLS)" : ""));
  return true;
}

void MllpSource::stop() {
  Impl& im = *impl_;
  if (!im.started || im.stopped) return;
  im.stopped = true;
  auto state = im.state;
  {
    // Under the registry lock: no connection registers after the snapshot below.
    std::lock_guard lock(state->mutex);
    state->stopping = true;
  }
  asio::post(*im.contexts.front(), [&im] {
    boost::system::error_code ignored;
    if (im.acceptor) im.acceptor->close(ignored);
  });
  std::vector<std::shared_ptr<ConnectionBase>> live;
  {
    std::lock_guard lock(state->mutex);
    live.assign(state->live.begin(), state->live.end());
  }
  for (auto& c : live) asio::post(c->executor(), [c] { c->begin_stop(); });
  live.clear();
  // Let in-flight messages get their answer, for a while.
  {
    std::unique_lock lock(state->mutex);
    if (!state->drained.wait_for(lock, kDrainTimeout, [&] { return state->live.empty(); })) {
      state->context.log(LogLevel::warn, "mllp: " + std::to_string(state->live.size()) +
                                             " connection(s) still waiting for the channel at stop; closing them");
      live.assign(state->live.begin(), state->live.end());
    }
  }
  for (auto& c : live) asio::post(c->executor(), [c] { c->force_close(); });
  live.clear();
  {
    std::lock_guard lock(state->gate->mutex);
    state->gate->open = false;
  }
  im.guards.clear();
  for (auto& context : im.contexts) context->stop();
  for (auto& t : im.threads) t.join();
  im.threads.clear();
  im.acceptor.reset();
  {
    std::lock_guard lock(state->mutex);
    state->live.clear();
  }
  // Destroying the contexts destroys the coroutines and handlers still
  // holding connections, while the contexts' services still exist.
  im.contexts.clear();
}

std::unique_ptr<Source> create_mllp_source(const ConnectorOptions& options, ConnectorContext& context,
                                           std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Source> {
    auto settings = read_source_settings(options, context.base_dir().string(), error);
    if (!settings) return nullptr;
    return std::make_unique<MllpSource>(std::move(*settings), context);
  });
}

}  // namespace artery::mllp
