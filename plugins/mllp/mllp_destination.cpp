#include "mllp_destination.hpp"

#include <artery/tls_context.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "ack_policy.hpp"
#include "frame_header.hpp"
#include "mllp_framer.hpp"

namespace artery::mllp {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kReadSize = 16 * 1024;

std::string format_ms(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

SendResult make_result(SendResult::Status status, std::string error, std::string response = {}) {
  SendResult r;
  r.status = status;
  r.error = std::move(error);
  r.response = std::move(response);
  return r;
}

}  // namespace

struct MllpDestination::Impl : std::enable_shared_from_this<Impl> {
  struct Job {
    OutboundMessage message;
    std::function<void(SendResult)> done;
  };

  DestinationSettings settings;
  ConnectorContext& context;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;
  std::optional<ssl::context> tls;

  // Everything below lives on the I/O thread.
  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> secure;
  bool connected = false;
  bool counted_open = false;  // connections_open includes this connection
  MllpFramer framer;
  asio::steady_timer deadline{io};
  std::uint64_t deadline_generation = 0;
  bool timed_out = false;
  std::deque<Job> jobs;
  bool pumping = false;
  bool stopping = false;
  std::string framed;  // reused send buffer

  std::mutex mutex;  // for stop(): wait until the job in hand has completed
  std::condition_variable idle;
  bool busy = false;
  bool started = false;
  bool stopped = false;

  Impl(DestinationSettings s, ConnectorContext& c)
      : settings(std::move(s)), context(c), framer(settings.max_message_size) {}

  std::string remote_text() const { return settings.remote.host + ":" + std::to_string(settings.remote.port); }

  tcp::socket& socket() { return secure ? secure->next_layer() : *plain; }

  void disconnect() {
    if (!plain && !secure) return;
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    plain.reset();
    secure.reset();
    connected = false;
    if (counted_open) context.metrics().connection_closed();
    counted_open = false;
    framer = MllpFramer(settings.max_message_size);
  }

  // Closing the socket is how a timeout interrupts whatever is in progress.
  void arm_deadline(std::chrono::milliseconds after) {
    timed_out = false;
    std::uint64_t generation = ++deadline_generation;
    deadline.expires_after(after);
    deadline.async_wait([self = shared_from_this(), generation](const error_code& ec) {
      if (ec || generation != self->deadline_generation) return;
      self->timed_out = true;
      if (self->plain || self->secure) {
        error_code ignored;
        self->socket().close(ignored);
      }
    });
  }
  void disarm_deadline() {
    ++deadline_generation;
    deadline.cancel();
  }

  // True when a kept connection still looks usable: the peer has not closed it.
  bool still_open() {
    if (!connected) return false;
    char probe;
    ssize_t n = ::recv(socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    return true;
  }

  asio::awaitable<std::string> connect() {
    disconnect();
    error_code ec;
    arm_deadline(settings.connect_timeout);
    tcp::resolver resolver(io);
    auto endpoints = co_await resolver.async_resolve(settings.remote.host, std::to_string(settings.remote.port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      disarm_deadline();
      co_return "cannot resolve " + settings.remote.host + ": " + ec.message();
    }
    if (tls) {
      secure.emplace(io, *tls);
    } else {
      plain.emplace(io);
    }
    co_await asio::async_connect(socket(), endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      bool late = timed_out;
      disarm_deadline();
      disconnect();
      context.metrics().connection_refused();
      if (late) context.metrics().add_error(ConnectorError::timeout);
      co_return "connect to " + remote_text() + ": " +
          (late ? "timed out after " + format_ms(settings.connect_timeout) : ec.message());
    }
    error_code ignored;
    socket().set_option(tcp::no_delay(true), ignored);
    context.metrics().connection_opened();
    counted_open = true;
    if (secure) {
      std::string name = settings.tls.server_name.empty() ? settings.remote.host : settings.tls.server_name;
      SSL_set_tlsext_host_name(secure->native_handle(), name.c_str());
      if (settings.tls.verify_peer) secure->set_verify_callback(ssl::host_name_verification(name));
      co_await secure->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        bool late = timed_out;
        disarm_deadline();
        disconnect();
        context.metrics().add_error(late ? ConnectorError::timeout : ConnectorError::tls);
        co_return "TLS handshake with " + remote_text() + ": " +
            (late ? "timed out after " + format_ms(settings.connect_timeout) : ec.message());
      }
    }
    disarm_deadline();
    connected = true;
    co_return std::string{};
  }

  asio::awaitable<std::size_t> write_all(std::string_view data, error_code& ec) {
    if (secure) co_return co_await asio::async_write(*secure, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
    co_return co_await asio::async_write(*plain, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<std::size_t> read_some(char* into, std::size_t space, error_code& ec) {
    if (secure)
      co_return co_await secure->async_read_some(asio::buffer(into, space), asio::redirect_error(asio::use_awaitable, ec));
    co_return co_await plain->async_read_some(asio::buffer(into, space), asio::redirect_error(asio::use_awaitable, ec));
  }

  // What an ACK frame means for the message whose control id is `control_id`;
  // nullopt for an ACK that belongs to another (earlier) message.
  std::optional<SendResult> judge_ack(std::string_view content, const std::string& control_id) {
    if (settings.commit_ack && content.size() == 1) {
      if (content[0] == 0x06) return make_result(SendResult::Status::sent, {}, "ACK");
      if (content[0] == 0x15) return make_result(SendResult::Status::retry, "commit acknowledgement NAK from " + remote_text());
    }
    hl7::ParseError parse_error;
    auto ack = hl7::Message::parse(content, &parse_error);
    if (!ack || ack->count("MSA") == 0) {
      disconnect();  // the stream can no longer be trusted
      context.metrics().add_error(ConnectorError::protocol);
      return make_result(SendResult::Status::retry,
                         "unreadable acknowledgement from " + remote_text() + ": " +
                             (ack ? std::string("no MSA segment") : parse_error.message));
    }
    std::string acked = ack->get("MSA-2");
    if (!control_id.empty() && acked != control_id) {
      context.log(LogLevel::warn, "mllp: discarding acknowledgement for message '" + acked + "' while waiting for '" +
                                      control_id + "' (late ACK of an earlier send)");
      return std::nullopt;
    }
    std::string code = ack->get("MSA-1");
    std::string text = ack->get("MSA-3");
    if (text.empty()) text = ack->get("ERR-8");
    if (text.empty()) text = ack->get("ERR-1");
    text = one_line(text);
    std::string response(content);
    auto reason = [&](const char* what) { return code + " from " + remote_text() + (text.empty() ? std::string(what) : ": " + text); };
    if (code == "AA" || code == "CA") return make_result(SendResult::Status::sent, {}, std::move(response));
    if (code == "AE" || code == "CE")
      return make_result(SendResult::Status::retry, reason(" (application error)"), std::move(response));
    if (code == "AR" || code == "CR") {
      context.metrics().add_error(ConnectorError::rejected);
      return make_result(settings.retry_ar ? SendResult::Status::retry : SendResult::Status::rejected,
                         reason(" (rejected)"), std::move(response));
    }
    return make_result(SendResult::Status::retry, "unknown acknowledgement code '" + code + "' from " + remote_text(),
                       std::move(response));
  }

  // One write, then frames until the ACK for this message. `received_any`
  // tells the caller whether the peer answered at all (for a stale connection).
  asio::awaitable<SendResult> exchange(const std::string& control_id, bool expect_ack, bool silence_is_success,
                                       bool& received_any) {
    received_any = false;
    error_code ec;
    arm_deadline(settings.ack_timeout);
    co_await write_all(framed, ec);
    if (ec) {
      bool late = timed_out;
      disarm_deadline();
      disconnect();
      context.metrics().add_error(late ? ConnectorError::timeout : ConnectorError::io);
      co_return make_result(SendResult::Status::retry,
                            late ? "no ACK from " + remote_text() + " within " + format_ms(settings.ack_timeout)
                                 : "write to " + remote_text() + ": " + ec.message());
    }
    context.metrics().add_bytes_out(framed.size());
    if (!expect_ack) {
      // MSH-15 NE: the message itself asks for no accept acknowledgement, so a
      // conforming receiver sends none. Written is all we can know.
      disarm_deadline();
      co_return make_result(SendResult::Status::sent, "");
    }
    for (;;) {
      auto next = framer.next();
      if (next.event == MllpFramer::Event::frame) {
        received_any = true;
        if (auto result = judge_ack(next.content, control_id)) {
          disarm_deadline();
          co_return std::move(*result);
        }
        continue;
      }
      if (next.event == MllpFramer::Event::oversize) {
        disarm_deadline();
        disconnect();
        context.metrics().add_error(ConnectorError::protocol);
        co_return make_result(SendResult::Status::retry, "acknowledgement from " + remote_text() +
                                                             " larger than max_message_size");
      }
      std::size_t space = 0;
      char* into = framer.prepare(kReadSize, space);
      std::size_t n = co_await read_some(into, space, ec);
      if (ec) {
        bool late = timed_out;
        disarm_deadline();
        disconnect();
        // MSH-15 ER: the receiver answers only errors, so none within the
        // timeout means it took the message.
        if (late && silence_is_success) co_return make_result(SendResult::Status::sent, "");
        context.metrics().add_error(late ? ConnectorError::timeout : ConnectorError::io);
        if (late)
          co_return make_result(SendResult::Status::retry,
                                "no ACK from " + remote_text() + " within " + format_ms(settings.ack_timeout));
        co_return make_result(SendResult::Status::retry,
                              "connection to " + remote_text() + " " +
                                  (ec == asio::error::eof ? std::string("closed before the ACK") : ec.message()));
      }
      received_any = true;
      context.metrics().add_bytes_in(n);
      framer.commit(n);
    }
  }

  asio::awaitable<SendResult> deliver(const OutboundMessage& message) {
    if (stopping) co_return make_result(SendResult::Status::retry, "destination stopping");
    context.metrics().add_request();
    FrameHeader header = read_frame_header(message.content);
    framed.clear();
    framed.reserve(message.content.size() + 3);
    framed.push_back(kStartBlock);
    framed.append(message.content);
    framed.push_back(kEndBlock);
    framed.push_back(kCarriageReturn);

    bool reused = still_open();
    if (connected && !reused) disconnect();
    for (int round = 0; round < 2; ++round) {
      if (!connected) {
        std::string error = co_await connect();
        if (!error.empty()) co_return make_result(SendResult::Status::retry, std::move(error));
      }
      bool received_any = false;
      // With commit acknowledgements (MLLP release 2) every frame is answered.
      const bool expect_ack = settings.commit_ack || header.accept_ack_type != "NE";
      const bool silence_is_success = !settings.commit_ack && header.accept_ack_type == "ER";
      SendResult result = co_await exchange(header.control_id, expect_ack, silence_is_success, received_any);
      // A kept connection the peer dropped in between: try once on a fresh one.
      if (result.status == SendResult::Status::retry && reused && !received_any && !connected && !timed_out &&
          !stopping) {
        reused = false;
        continue;
      }
      if (!settings.keep_alive) disconnect();
      co_return result;
    }
    co_return make_result(SendResult::Status::retry, "connection to " + remote_text() + " lost");
  }

  asio::awaitable<void> pump() {
    while (!jobs.empty()) {
      Job job = std::move(jobs.front());
      jobs.pop_front();
      SendResult result;
      try {
        result = co_await deliver(job.message);
      } catch (const std::exception& e) {
        disconnect();
        result = make_result(SendResult::Status::retry, std::string("mllp send failed: ") + e.what());
      }
      job.done(std::move(result));
    }
    pumping = false;
    std::lock_guard lock(mutex);
    busy = false;
    idle.notify_all();
  }
};

MllpDestination::MllpDestination(DestinationSettings settings, ConnectorContext& context)
    : impl_(std::make_shared<Impl>(std::move(settings), context)) {}

MllpDestination::~MllpDestination() { stop(); }

bool MllpDestination::start(std::string& error) {
  Impl& im = *impl_;
  if (im.started) return true;
  if (im.settings.tls.enabled) {
    im.tls = make_client_tls_context(im.settings.tls, error);
    if (!im.tls) return false;
  }
  im.guard.emplace(asio::make_work_guard(im.io));
  im.thread = std::thread([&im] { im.io.run(); });
  im.started = true;
  return true;
}

void MllpDestination::stop() {
  Impl& im = *impl_;
  if (!im.started || im.stopped) return;
  im.stopped = true;
  asio::post(im.io, [&im] {
    im.stopping = true;
    im.disarm_deadline();
    im.disconnect();  // interrupts a send in progress: it completes as retry
  });
  bool drained;
  {
    std::unique_lock lock(im.mutex);
    drained = im.idle.wait_for(lock, std::chrono::seconds(5), [&] { return !im.busy; });
  }
  // With the socket closed and the timer cancelled the context runs out of
  // work and its thread ends; its handlers hold the Impl, so let them finish.
  im.guard.reset();
  if (!drained) im.io.stop();
  im.thread.join();
  // Sends still queued never ran: answer them so nothing waits forever.
  for (auto& job : im.jobs) job.done(make_result(SendResult::Status::retry, "destination stopped"));
  im.jobs.clear();
}

void MllpDestination::send(OutboundMessage message, std::function<void(SendResult)> done) {
  Impl& im = *impl_;
  if (!im.started || im.stopped) {
    done(make_result(SendResult::Status::retry, im.stopped ? "destination stopped" : "destination not started"));
    return;
  }
  {
    std::lock_guard lock(im.mutex);
    im.busy = true;
  }
  asio::post(im.io, [self = impl_, job = Impl::Job{std::move(message), std::move(done)}]() mutable {
    self->jobs.push_back(std::move(job));
    if (self->pumping) return;
    self->pumping = true;
    asio::co_spawn(self->io, self->pump(), asio::detached);
  });
}

std::unique_ptr<Destination> create_mllp_destination(const ConnectorOptions& options, ConnectorContext& context,
                                                     std::string& error) noexcept {
  return guarded_create(error, [&]() -> std::unique_ptr<Destination> {
    auto settings = read_destination_settings(options, context.base_dir().string(), error);
    if (!settings) return nullptr;
    return std::make_unique<MllpDestination>(std::move(*settings), context);
  });
}

}  // namespace artery::mllp
