// The HTTP/1.1 server: the only translation unit that includes Boost.Beast,
// so the template weight is paid once per build.
//
// One I/O thread runs every connection as a coroutine; all connection state
// is touched on that thread only, so there are no locks on the hot path.
// Handlers run on a thread pool and answer through an HttpResponder, which
// posts the response back to the I/O thread. A connection reads one request,
// waits for its answer, writes it, then reads the next: pipelined requests
// (already in the read buffer) are answered in order for free.
#include <artery/http_server.hpp>
#include <artery/plugin.hpp>
#include <artery/tls_context.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <list>
#include <mutex>
#include <thread>

#include "http/query_string.hpp"
#include "log/logger.hpp"

namespace artery {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kFirstReadSize = 4096;
// After answering an error while the client may still be sending (413 before
// the body was read), keep reading and discarding for a moment: closing a
// socket with unread data makes the kernel send RST, and the client would
// then lose the answer we just wrote.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 1024 * 1024;

std::string peer_host(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

bool safe_header_value(std::string_view value) { return value.find_first_of("\r\n") == std::string_view::npos; }

// Framing fields the server sets from what it actually sends; a handler's
// own would contradict them and desynchronise the connection.
bool server_owned(std::string_view name) {
  return beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
         beast::iequals(name, "connection");
}


}  // namespace

// Lets threads outside the server (handlers, channel callbacks, stream
// writers) post to the I/O thread only while it exists.
struct PostGate {
  std::mutex mutex;
  bool open = true;
  asio::io_context* io = nullptr;

  template <class Fn>
  void post(Fn&& fn) {
    std::lock_guard lock(mutex);
    if (open) asio::post(*io, std::forward<Fn>(fn));
  }
};

enum class Phase { idle, reading, handling, writing, streaming };

class Connection;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  HttpServerOptions options;
  HttpRouter router;
  asio::io_context io{1};
  // The pooled socket the acceptor listens on a dup of (options.listen_sockets);
  // given back when the server stops, after the acceptor has closed.
  std::unique_ptr<ListenSocket> claim;
  tcp::acceptor acceptor{io};
  std::optional<ssl::context> tls;
  std::unique_ptr<asio::thread_pool> handlers;
  std::thread io_thread;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  bool io_done = false;  // guarded by drained_mutex
  std::shared_ptr<PostGate> gate = std::make_shared<PostGate>();
  std::atomic<std::uint16_t> port{0};
  std::atomic<std::size_t> connection_count{0};
  // Relaxed counters: each is exact, they are read one by one.
  struct {
    std::atomic<std::uint64_t> connections_total{0}, connections_refused{0}, requests{0}, bytes_in{0},
        bytes_out{0}, timeouts{0}, bad_requests{0}, tls_failures{0}, handler_errors{0};
  } count;
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  std::mutex lifecycle_mutex;  // start/stop
  bool started = false;
  bool stopped = false;

  // I/O thread only.
  bool stopping = false;
  std::time_t date_second = 0;
  std::string date_text;

  // RFC 9110 wants a Date on every 2xx-4xx answer; formatting it once a
  // second keeps it off the per-request cost.
  const std::string& date() {
    std::time_t now = std::time(nullptr);
    if (now != date_second) {
      std::tm tm{};
      gmtime_r(&now, &tm);
      char text[64];
      std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
      date_text = text;
      date_second = now;
    }
    return date_text;
  }
  std::list<std::shared_ptr<Connection>> live;

  std::mutex drained_mutex;
  std::condition_variable drained;

  Impl(HttpServerOptions o, HttpRouter r) : options(std::move(o)), router(std::move(r)) { gate->io = &io; }

  void log(LogLevel level, std::string_view text) noexcept {
    try {
      if (options.log) options.log(level, text);
      else logger::write(level, options.log_name, text);
    } catch (...) {
    }
  }

  HttpResponse error_response(int status, std::string_view message) noexcept {
    try {
      if (options.error_response) return options.error_response(status, message);
    } catch (const std::exception& e) {
      log(LogLevel::error, std::string("error_response failed: ") + e.what());
    } catch (...) {
    }
    return HttpResponse::error(status, message);
  }

  bool listen(std::string& error);
  bool make_tls(std::string& error);
  asio::awaitable<void> accept_loop();  // runs on `io`, which `this` owns
  void admit(tcp::socket socket);
  void finished(const std::shared_ptr<Connection>& connection);
  void begin_stop();
  void force_close_all();
};

// What a streaming response's writer and the connection share.
class StreamChannel final : public HttpStreamWriter {
 public:
  StreamChannel(std::shared_ptr<PostGate> gate, std::size_t limit, std::function<void()> wake)
      : gate_(std::move(gate)), limit_(limit), wake_(std::move(wake)) {}

  bool write(std::string_view bytes) override {
    std::lock_guard lock(mutex_);
    if (!open_) return false;
    if (queued_.size() + bytes.size() > limit_) {
      open_ = false;
      overflowed_ = true;
      // Always wake: the connection is likely stuck in a write (that is why
      // the queue is full), so an earlier wake may still count as pending.
      gate_->post(wake_);
      return false;
    }
    queued_.append(bytes);
    notify_locked();
    return true;
  }
  void close() override {
    std::lock_guard lock(mutex_);
    open_ = false;
    notify_locked();
  }
  bool is_open() const override {
    std::lock_guard lock(mutex_);
    return open_;
  }
  void on_close(std::function<void()> callback) override {
    {
      std::lock_guard lock(mutex_);
      if (!ended_) {
        callbacks_.push_back(std::move(callback));
        return;
      }
    }
    run(callback);
  }

  bool overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
  }
  // I/O thread: what to write next; `closing` once close() or an overflow
  // ended the stream.
  std::string take(bool& closing, bool& overflowed) {
    std::lock_guard lock(mutex_);
    wake_posted_ = false;
    closing = !open_;
    overflowed = overflowed_;
    return std::exchange(queued_, {});
  }
  // I/O thread: the stream is over; tell whoever subscribed.
  void end() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      open_ = false;
      ended_ = true;
      callbacks.swap(callbacks_);
    }
    for (auto& callback : callbacks) run(callback);
  }

 private:
  void notify_locked() {
    if (wake_posted_) return;
    wake_posted_ = true;
    gate_->post(wake_);
  }
  static void run(const std::function<void()>& callback) noexcept {
    try {
      if (callback) callback();
    } catch (...) {
    }
  }

  std::shared_ptr<PostGate> gate_;
  const std::size_t limit_;
  std::function<void()> wake_;
  mutable std::mutex mutex_;
  std::string queued_;
  bool open_ = true;
  bool ended_ = false;
  bool overflowed_ = false;
  bool wake_posted_ = false;
  std::vector<std::function<void()>> callbacks_;
};

// The connection's part that does not depend on the stream type: what the
// server needs to decide whom to displace and whom to close on stop.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(HttpServer::Impl* server) : server_(server) {}
  virtual ~Connection() = default;
  virtual void start() = 0;
  virtual void begin_stop() = 0;
  virtual void force_close() = 0;
  // A response for the request being handled (from HttpResponder, via the I/O thread).
  virtual void deliver(HttpResponse response) = 0;

  Phase phase() const { return phase_; }
  Clock::time_point idle_since() const { return idle_since_; }
  std::list<std::shared_ptr<Connection>>::iterator self_in_list;

 protected:
  // Not owning: the server outlives its I/O thread and handler pool, and a
  // responder that outlives the server keeps the server alive itself
  // (ResponseTarget), so no cycle runs through the connection list.
  HttpServer::Impl* server_;
  Phase phase_ = Phase::idle;
  Clock::time_point idle_since_ = Clock::now();
};

namespace {

// The answer to the request a connection is handling. If the handler drops
// every copy of its responder without answering, the client gets a 500.
class ResponseTarget final : public HttpResponder::Target {
 public:
  ResponseTarget(std::shared_ptr<HttpServer::Impl> server, std::shared_ptr<Connection> connection,
                 std::shared_ptr<PostGate> gate)
      : server_(std::move(server)), connection_(std::move(connection)), gate_(std::move(gate)) {}
  ~ResponseTarget() override {
    if (answered_.load()) return;
    HttpServer::Impl::add(server_->count.handler_errors);
    complete(server_->error_response(500, "the handler gave no response"));
  }
  void complete(HttpResponse response) noexcept override {
    if (answered_.exchange(true)) return;
    try {
      gate_->post([connection = connection_, response = std::move(response)]() mutable {
        connection->deliver(std::move(response));
      });
    } catch (...) {
    }
  }

 private:
  // Declared first, destroyed last: the connection's socket needs the
  // server's io_context while it is destroyed, even after stop().
  std::shared_ptr<HttpServer::Impl> server_;
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<PostGate> gate_;
  std::atomic<bool> answered_{false};
};

}  // namespace

template <class Stream>
class StreamConnection final : public Connection {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

 public:
  StreamConnection(HttpServer::Impl* server, Stream stream, std::string peer_address, std::uint16_t peer_port,
                   bool refuse)
      : Connection(server),
        stream_(std::move(stream)),
        deadline_(stream_.get_executor()),
        wake_(stream_.get_executor()),
        peer_address_(std::move(peer_address)),
        peer_port_(peer_port),
        refuse_(refuse) {}

  void start() override {
    auto self = std::static_pointer_cast<StreamConnection>(shared_from_this());
    deadline_.expires_at(Clock::time_point::max());
    asio::co_spawn(stream_.get_executor(), self->watch_deadline(), asio::detached);
    asio::co_spawn(stream_.get_executor(), self->run(), [self](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          self->server_->log(LogLevel::error, std::string("http connection failed: ") + ex.what());
        } catch (...) {
        }
      }
      if (self->timed_out_ && self->phase_ != Phase::idle) HttpServer::Impl::add(self->server_->count.timeouts);
      if (self->timed_out_)
        self->server_->log(LogLevel::debug, "closed a connection from " + self->peer_address_ + ": timed out");
      self->close_socket();
      self->deadline_.cancel();
      if (self->stream_channel_) self->stream_channel_->end();
      self->server_->finished(self);
    });
  }

  void begin_stop() override {
    stopping_ = true;
    if (phase_ == Phase::idle) close_socket();
    if (phase_ == Phase::streaming) wake_.cancel();
  }

  void force_close() override {
    stopping_ = true;
    close_socket();
    wake_.cancel();
  }

  void deliver(HttpResponse response) override {
    response_ = std::move(response);
    wake_.cancel();
  }

 private:
  tcp::socket& socket() {
    if constexpr (kTls) return stream_.next_layer();
    else return stream_;
  }

  void close_socket() {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  // A zero (or negative) timeout in the options means "never".
  void set_deadline(std::chrono::milliseconds after) {
    if (after.count() <= 0) return clear_deadline();
    deadline_at_ = Clock::now() + after;
    if (deadline_at_ < deadline_.expiry()) deadline_.expires_at(deadline_at_);  // wakes the watcher to re-arm
  }
  void clear_deadline() { deadline_at_ = Clock::time_point::max(); }

  // Closes the socket when the current deadline passes, which fails whatever
  // read or write is pending: the timeout for every phase in one place.
  asio::awaitable<void> watch_deadline() {
    auto self = shared_from_this();  // keep alive while waiting
    boost::system::error_code ec;
    while (socket().is_open()) {
      deadline_.expires_at(deadline_at_);
      co_await deadline_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!socket().is_open()) break;
      if (Clock::now() >= deadline_at_) {
        timed_out_ = true;
        close_socket();
        break;
      }
    }
  }

  asio::awaitable<void> run() {
    boost::system::error_code ec;
    if constexpr (kTls) {
      if (!co_await handshake()) co_return;
    }
    if (refuse_) {
      co_await write_error(503, "too many connections", true);
      co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
      // Idle: waiting for the first byte of the next request.
      if (buffer.size() == 0) {
        if (stopping_) co_return;
        phase_ = Phase::idle;
        idle_since_ = Clock::now();
        set_deadline(server_->options.idle_timeout);
        std::size_t n = co_await stream_.async_read_some(buffer.prepare(kFirstReadSize),
                                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;  // the peer left, the idle timeout passed, or we are stopping
        buffer.commit(n);
      }
      phase_ = Phase::reading;
      set_deadline(server_->options.read_timeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(
          static_cast<std::uint32_t>(std::min<std::size_t>(server_->options.max_header_bytes, UINT32_MAX)));
      parser.body_limit(server_->options.max_body_bytes);
      HttpServer::Impl::add(server_->count.bytes_in, co_await bhttp::async_read_header(
                                              stream_, buffer, parser, asio::redirect_error(asio::use_awaitable, ec)));
      // A Content-Length over the body limit fails the head already (Beast checks it there).
      if (ec == bhttp::error::body_limit) {
        co_await write_error(413, body_too_large(), true);
        co_return;
      }
      if (ec == bhttp::error::header_limit) {
        co_await write_error(
            431, "the request head is larger than " + std::to_string(server_->options.max_header_bytes) + " bytes",
            true);
        co_return;
      }
      if (ec) {
        if (!is_disconnect(ec)) co_await write_error(400, "malformed request: " + ec.message(), true);
        co_return;
      }
      auto& head = parser.get();
      if (auto length = parser.content_length(); length && *length > server_->options.max_body_bytes) {
        co_await write_error(413, body_too_large(), true);
        co_return;
      }
      if (!parser.is_done()) {
        if (beast::iequals(head[bhttp::field::expect], "100-continue")) {
          bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, head.version()};
          HttpServer::Impl::add(server_->count.bytes_out,
                    co_await bhttp::async_write(stream_, go_on, asio::redirect_error(asio::use_awaitable, ec)));
          if (ec) co_return;
        }
        HttpServer::Impl::add(server_->count.bytes_in, co_await bhttp::async_read(stream_, buffer, parser,
                                                                     asio::redirect_error(asio::use_awaitable, ec)));
        if (ec == bhttp::error::body_limit) {
          co_await write_error(413, body_too_large(), true);
          co_return;
        }
        if (ec) {
          if (!is_disconnect(ec)) co_await write_error(400, "malformed request body: " + ec.message(), true);
          co_return;
        }
      }
      clear_deadline();
      HttpServer::Impl::add(server_->count.requests);
      auto message = parser.release();
      const bool keep_alive = message.keep_alive();
      const unsigned version = message.version();
      const bool head_request = message.method() == bhttp::verb::head;

      phase_ = Phase::handling;
      HttpResponse response = co_await handle(std::move(message));
      if (!socket().is_open()) co_return;  // forced closed while the handler ran
      if (response.stream) {
        co_await stream_response(std::move(response), version);
        co_return;
      }
      const bool again = keep_alive && !stopping_;
      if (!co_await write_response(std::move(response), version, again, head_request)) co_return;
      if (!again) {
        co_await linger_close();
        co_return;
      }
    }
  }

  std::string body_too_large() const {
    return "the request body is larger than " + std::to_string(server_->options.max_body_bytes) + " bytes";
  }

  static bool is_disconnect(const boost::system::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == asio::error::eof ||
           ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
           ec == asio::error::bad_descriptor || ec == ssl::error::stream_truncated;
  }

  asio::awaitable<bool> handshake() {
    boost::system::error_code ec;
    // A plaintext request on the TLS port gets a readable answer rather
    // than a TLS alert the user's browser shows as noise. A TLS connection
    // starts with a handshake record (content type 22).
    // Until the client says anything it is idle, as a plain connection
    // would be: displaceable at max_connections, under the idle timeout.
    phase_ = Phase::idle;
    idle_since_ = Clock::now();
    set_deadline(server_->options.idle_timeout);
    unsigned char first = 0;
    co_await socket().async_receive(asio::buffer(&first, 1), tcp::socket::message_peek,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    phase_ = Phase::reading;
    set_deadline(server_->options.read_timeout);
    if (first != 22) {
      server_->log(LogLevel::info, "plaintext request from " + peer_address_ + " on a TLS port");
      HttpResponse response = server_->error_response(400, "this port speaks HTTPS (TLS); use https://");
      bhttp::response<bhttp::string_body> out{bhttp::status::bad_request, 11};
      fill(out, response, false, false);
      set_deadline(server_->options.write_timeout);
      HttpServer::Impl::add(server_->count.tls_failures);
      HttpServer::Impl::add(server_->count.bytes_out,
                co_await bhttp::async_write(socket(), out, asio::redirect_error(asio::use_awaitable, ec)));
      if (!ec) co_await linger_close();
      co_return false;
    }
    co_await stream_.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      HttpServer::Impl::add(server_->count.tls_failures);
      server_->log(LogLevel::info, "TLS handshake with " + peer_address_ + " failed: " + ec.message());
      co_return false;
    }
    if (X509* cert = SSL_get1_peer_certificate(stream_.native_handle())) {
      char subject[512];
      X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
      X509_free(cert);
      tls_peer_subject_ = subject;
    }
    co_return true;
  }

  // Runs the route's handler on the pool and waits for its answer.
  asio::awaitable<HttpResponse> handle(bhttp::request<bhttp::string_body> message) {
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.version = message.version();
    request.peer_address = peer_address_;
    request.peer_port = peer_port_;
    request.tls = kTls;
    request.tls_peer_subject = tls_peer_subject_;
    for (auto& field : message) request.headers.add(field.name_string(), field.value());
    request.body = std::move(message.body());

    std::string_view target = request.target;
    auto question = target.find('?');
    std::string_view raw_path = target.substr(0, question);
    auto decoded_path = percent_decode(raw_path, false);
    const bool bad_query =
        question != std::string_view::npos && !parse_query(target.substr(question + 1), request.query);
    if (!decoded_path || bad_query)
      co_return server_->error_response(400, "malformed percent-encoding in the request target");
    request.path = std::move(*decoded_path);

    HttpRouteMatch match = server_->router.match(request.method, raw_path);
    if (match.status == 405) {
      HttpResponse r = server_->error_response(405, "method " + request.method + " is not allowed on " + request.path);
      r.headers.set("Allow", match.allow);
      co_return r;
    }
    if (match.status != 200)
      co_return server_->error_response(match.status, match.status == 404 ? "no such resource: " + request.path
                                                                          : "malformed request path");
    request.path_params = std::move(match.params);

    response_.reset();
    auto target_ptr = std::make_shared<ResponseTarget>(server_->shared_from_this(), shared_from_this(), server_->gate);
    asio::post(*server_->handlers, [server = server_, handler = match.handler, request = std::move(request),
                                    responder = HttpResponder(std::move(target_ptr))]() mutable {
      try {
        (*handler)(std::move(request), responder);
      } catch (const std::exception& e) {
        HttpServer::Impl::add(server->count.handler_errors);
        server->log(LogLevel::error, "http handler failed: " + std::string(e.what()));
        responder.respond(server->error_response(500, "internal server error"));
      } catch (...) {
        HttpServer::Impl::add(server->count.handler_errors);
        server->log(LogLevel::error, "http handler failed with an unknown exception");
        responder.respond(server->error_response(500, "internal server error"));
      }
    });
    boost::system::error_code ec;
    while (!response_ && socket().is_open()) {
      wake_.expires_at(Clock::time_point::max());
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!response_) co_return HttpResponse{};
    co_return std::move(*response_);
  }

  void fill(bhttp::response<bhttp::string_body>& out, HttpResponse& response, bool keep_alive, bool head_request) {
    // Beast takes 100..999; anything else is a handler bug, not something to send.
    const bool valid = response.status >= 100 && response.status <= 999;
    if (!valid) server_->log(LogLevel::error, "a handler answered status " + std::to_string(response.status));
    out.result(static_cast<unsigned>(valid ? response.status : 500));
    for (auto& [name, value] : response.headers.fields()) {
      if (server_owned(name)) continue;
      if (!safe_header_value(value) || !safe_header_value(name)) {
        server_->log(LogLevel::warn, "dropped header '" + name + "' with a line break in it");
        continue;
      }
      out.insert(name, value);
    }
    if (!response.headers.contains("Date")) out.set(bhttp::field::date, server_->date());
    out.keep_alive(keep_alive);
    const std::size_t length = response.body.size();
    if (!head_request) out.body() = std::move(response.body);
    const bool no_body = response.status < 200 || response.status == 204 || response.status == 304;
    if (!no_body) out.content_length(length);
  }

  asio::awaitable<bool> write_response(HttpResponse response, unsigned version, bool keep_alive, bool head_request) {
    phase_ = Phase::writing;
    bhttp::response<bhttp::string_body> out{bhttp::status::ok, version};
    fill(out, response, keep_alive, head_request);
    set_deadline(server_->options.write_timeout);
    boost::system::error_code ec;
    HttpServer::Impl::add(server_->count.bytes_out,
              co_await bhttp::async_write(stream_, out, asio::redirect_error(asio::use_awaitable, ec)));
    clear_deadline();
    co_return !ec;
  }

  // The server's own error, then close (after letting the client finish sending).
  asio::awaitable<void> write_error(int status, std::string message, bool linger) {
    if (status == 400 || status == 413 || status == 431) HttpServer::Impl::add(server_->count.bad_requests);
    HttpResponse response = server_->error_response(status, message);
    if (co_await write_response(std::move(response), 11, false, false) && linger) co_await linger_close();
  }

  // Half-close, then read and discard what the client still sends for a moment (see kLingerTime).
  asio::awaitable<void> linger_close() {
    boost::system::error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    set_deadline(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
    std::size_t total = 0;
    char sink[4096];
    while (total < kLingerBytes) {
      std::size_t n =
          co_await socket().async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      total += n;
    }
  }

  asio::awaitable<void> stream_response(HttpResponse response, unsigned version) {
    phase_ = Phase::writing;
    boost::system::error_code ec;
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, version};
    head.result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers.fields())
      if (!server_owned(name) && safe_header_value(value) && safe_header_value(name)) head.insert(name, value);
    if (!response.headers.contains("Date")) head.set(bhttp::field::date, server_->date());
    head.keep_alive(false);  // the stream ends the connection
    head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    set_deadline(server_->options.write_timeout);
    HttpServer::Impl::add(server_->count.bytes_out, co_await bhttp::async_write_header(
                                            stream_, serializer, asio::redirect_error(asio::use_awaitable, ec)));
    clear_deadline();
    if (ec) co_return;

    phase_ = Phase::streaming;
    std::weak_ptr<Connection> weak = shared_from_this();
    stream_channel_ = std::make_shared<StreamChannel>(server_->gate, server_->options.max_stream_buffer, [weak] {
      if (auto self = weak.lock()) static_cast<StreamConnection*>(self.get())->on_stream_wake();
    });
    auto self = std::static_pointer_cast<StreamConnection>(shared_from_this());
    asio::co_spawn(stream_.get_executor(), self->watch_peer(), asio::detached);
    asio::post(*server_->handlers, [server = server_, opener = std::move(response.stream),
                                    writer = std::shared_ptr<HttpStreamWriter>(stream_channel_)] {
      try {
        opener(writer);
      } catch (const std::exception& e) {
        server->log(LogLevel::error, "http stream opener failed: " + std::string(e.what()));
        writer->close();
      } catch (...) {
        writer->close();
      }
    });

    for (;;) {
      bool closing = false, overflowed = false;
      std::string data = stream_channel_->take(closing, overflowed);
      if (overflowed) {
        server_->log(LogLevel::warn, "ended a stream to " + peer_address_ + " that read too slowly");
        co_return;
      }
      if (peer_gone_ || !socket().is_open()) co_return;
      if (!data.empty()) {
        set_deadline(server_->options.write_timeout);
        HttpServer::Impl::add(server_->count.bytes_out,
                  co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(data)),
                                             asio::redirect_error(asio::use_awaitable, ec)));
        clear_deadline();
        if (ec) co_return;
        continue;  // more may have been queued meanwhile
      }
      if (closing || stopping_) break;
      wake_.expires_at(Clock::time_point::max());
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    set_deadline(server_->options.write_timeout);
    HttpServer::Impl::add(server_->count.bytes_out, co_await asio::async_write(stream_, bhttp::make_chunk_last(),
                                                                   asio::redirect_error(asio::use_awaitable, ec)));
    clear_deadline();
  }

  // A writer pushed, closed or overflowed. An overflow means the client
  // stopped reading, so the write in progress may never finish: close now.
  void on_stream_wake() {
    if (stream_channel_ && stream_channel_->overflowed()) close_socket();
    wake_.cancel();
  }

  // While streaming: notices the client going away (a read ends) so the
  // stream ends now, not at the next write.
  asio::awaitable<void> watch_peer() {
    boost::system::error_code ec;
    char sink[512];
    for (;;) {
      co_await stream_.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    peer_gone_ = true;
    wake_.cancel();
  }

  Stream stream_;
  asio::steady_timer deadline_;
  Clock::time_point deadline_at_ = Clock::time_point::max();
  asio::steady_timer wake_;  // a response arrived, a stream has data, or we stop
  std::string peer_address_;
  std::uint16_t peer_port_;
  bool refuse_;
  std::string tls_peer_subject_;
  bool stopping_ = false;
  bool timed_out_ = false;
  bool peer_gone_ = false;
  std::optional<HttpResponse> response_;
  std::shared_ptr<StreamChannel> stream_channel_;
};

bool HttpServer::Impl::make_tls(std::string& error) {
  if (!options.tls.enabled) return true;
  // The same context every TLS listener gets (version floor, ciphers, client certificates).
  tls = make_server_tls_context(options.tls, error);
  return tls.has_value();
}

bool HttpServer::Impl::listen(std::string& error) {
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    tcp::resolver resolver(io);
    auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      error = "cannot resolve " + options.host + ": " + (ec ? ec.message() : "no address");
      return false;
    }
    endpoint = results.begin()->endpoint();
  } else {
    endpoint = tcp::endpoint(address, options.port);
  }
  const std::string where = options.host + ":" + std::to_string(options.port);
  if (options.listen_sockets) {
    claim = options.listen_sockets->acquire(endpoint.address().to_string(), endpoint.port(), error);
    if (!claim) {
      error = "cannot listen on " + where + ": " + error;
      return false;
    }
    // Asio owns and closes its own descriptor; the pool keeps the socket.
    const int fd = ::fcntl(claim->fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) ec.assign(errno, boost::system::system_category());
    else acceptor.assign(endpoint.protocol(), fd, ec);
    if (ec) {
      if (fd >= 0) ::close(fd);
      error = "cannot listen on " + where + ": " + ec.message();
      claim.reset();
      return false;
    }
    port = acceptor.local_endpoint(ec).port();
    return true;
  }
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "cannot listen on " + where + ": " + ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  port = acceptor.local_endpoint(ec).port();
  return true;
}

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  boost::system::error_code ec;
  asio::steady_timer pause(io);
  while (!stopping) {
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) break;
    // Accepted just before begin_stop() closed the acceptor: the peer has
    // connected, so it is admitted (and stopped like the others), not dropped.
    if (stopping && !ec) admit(std::move(socket));
    if (stopping) break;
    if (ec) {
      // Out of file descriptors, usually: wait instead of spinning on the error.
      log(LogLevel::warn, "accept failed: " + ec.message());
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    admit(std::move(socket));
  }
}

void HttpServer::Impl::admit(tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  add(count.connections_total);
  // At the limit, a crowd of silent connections must not lock real clients
  // out: the longest-idle connection makes room; with none idle, refuse.
  bool refuse = false;
  if (live.size() >= options.max_connections) {
    std::shared_ptr<Connection> oldest;
    for (auto& connection : live)
      if (connection->phase() == Phase::idle && (!oldest || connection->idle_since() < oldest->idle_since()))
        oldest = connection;
    if (oldest) {
      oldest->force_close();
    } else {
      refuse = true;
      log(LogLevel::warn, "refused a connection from " + peer_host(remote.address()) + ": " +
                              std::to_string(live.size()) + " connections are busy");
      // Refusals still cost a socket while the 503 is written; past a margin, just close.
      if (live.size() >= options.max_connections + options.max_connections / 4 + 8) {
        add(count.connections_refused);
        return;
      }
    }
  }
  if (refuse) add(count.connections_refused);
  std::shared_ptr<Connection> connection;
  if (tls)
    connection = std::make_shared<StreamConnection<ssl::stream<tcp::socket>>>(
        this, ssl::stream<tcp::socket>(std::move(socket), *tls), peer_host(remote.address()),
        remote.port(), refuse);
  else
    connection = std::make_shared<StreamConnection<tcp::socket>>(this, std::move(socket),
                                                                 peer_host(remote.address()), remote.port(), refuse);
  live.push_front(connection);
  connection->self_in_list = live.begin();
  connection_count = live.size();
  if (stopping) connection->begin_stop();
  connection->start();
}

void HttpServer::Impl::finished(const std::shared_ptr<Connection>& connection) {
  live.erase(connection->self_in_list);
  connection->self_in_list = live.end();
  {
    std::lock_guard lock(drained_mutex);
    connection_count = live.size();
  }
  drained.notify_all();
}

void HttpServer::Impl::begin_stop() {
  stopping = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  for (auto& connection : std::list<std::shared_ptr<Connection>>(live)) connection->begin_stop();
}

void HttpServer::Impl::force_close_all() {
  for (auto& connection : std::list<std::shared_ptr<Connection>>(live)) connection->force_close();
}

HttpServer::HttpServer(HttpServerOptions options, HttpRouter router) noexcept {
  try {
    impl_ = std::make_shared<Impl>(std::move(options), std::move(router));
  } catch (const std::exception& e) {
    setup_error_ = std::string("cannot set up the HTTP server: ") + e.what();
  } catch (...) {
    setup_error_ = "cannot set up the HTTP server";
  }
}

HttpServer::~HttpServer() { stop(); }

bool HttpServer::start(std::string& error) noexcept {
  if (!impl_) {
    error = setup_error_;
    return false;
  }
  try {
    std::lock_guard lock(impl_->lifecycle_mutex);
    if (impl_->started) {
      error = "the HTTP server is already started";
      return false;
    }
    if (!impl_->make_tls(error) || !impl_->listen(error)) return false;
    impl_->started = true;
    impl_->handlers = std::make_unique<asio::thread_pool>(std::max<std::size_t>(1, impl_->options.handler_threads));
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->work.emplace(asio::make_work_guard(impl_->io));
    impl_->io_thread = std::thread([impl = impl_.get()] {
      for (;;) {
        try {
          impl->io.run();
          break;
        } catch (const std::exception& e) {
          impl->log(LogLevel::error, std::string("I/O thread: ") + e.what());
        }
      }
      {
        std::lock_guard lock(impl->drained_mutex);
        impl->io_done = true;
      }
      impl->drained.notify_all();
    });
    impl_->log(LogLevel::info, std::string("listening on ") + (impl_->tls ? "https://" : "http://") +
                                   impl_->options.host + ":" + std::to_string(impl_->port.load()));
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot start the HTTP server: ") + e.what();
    return false;
  }
}

void HttpServer::stop() noexcept {
  if (!impl_) return;
  try {
    Impl& impl = *impl_;
    std::lock_guard lock(impl.lifecycle_mutex);
    if (!impl.started || impl.stopped) return;
    impl.stopped = true;
    asio::post(impl.io, [&impl] { impl.begin_stop(); });
    auto wait_drained = [&impl](std::chrono::milliseconds bound) {
      std::unique_lock drained_lock(impl.drained_mutex);
      return impl.drained.wait_for(drained_lock, bound, [&impl] { return impl.connection_count.load() == 0; });
    };
    if (!wait_drained(impl.options.stop_timeout)) {
      impl.log(LogLevel::warn, "" + std::to_string(impl.connection_count.load()) +
                                   " connections still busy after the stop timeout; closing them");
      asio::post(impl.io, [&impl] { impl.force_close_all(); });
      wait_drained(std::chrono::milliseconds(2000));
    }
    {
      std::lock_guard gate_lock(impl.gate->mutex);
      impl.gate->open = false;
    }
    // Let the I/O thread run out of work (the connections' last coroutines
    // and the accept loop end on their own now), so nothing is left
    // suspended in the io_context; stop it only if that takes too long.
    asio::post(impl.io, [&impl] { impl.work.reset(); });
    {
      std::unique_lock drained_lock(impl.drained_mutex);
      if (!impl.drained.wait_for(drained_lock, std::chrono::seconds(2), [&impl] { return impl.io_done; }))
        impl.io.stop();
    }
    if (impl.io_thread.joinable()) impl.io_thread.join();
    // Handlers still running finish here; their answers are dropped (the gate is shut).
    if (impl.handlers) impl.handlers->join();
    impl.live.clear();  // connections hold the server: break the cycle
    impl.claim.reset();  // the port closes here unless a newer version holds it too
  } catch (...) {
  }
}

std::uint16_t HttpServer::port() const noexcept { return impl_ ? impl_->port.load() : 0; }
std::size_t HttpServer::connection_count() const noexcept { return impl_ ? impl_->connection_count.load() : 0; }

HttpServerCounters HttpServer::counters() const noexcept {
  HttpServerCounters out;
  if (!impl_) return out;
  auto& c = impl_->count;
  out.connections_open = impl_->connection_count.load();
  out.connections_total = c.connections_total.load(std::memory_order_relaxed);
  out.connections_refused = c.connections_refused.load(std::memory_order_relaxed);
  out.requests = c.requests.load(std::memory_order_relaxed);
  out.bytes_in = c.bytes_in.load(std::memory_order_relaxed);
  out.bytes_out = c.bytes_out.load(std::memory_order_relaxed);
  out.timeouts = c.timeouts.load(std::memory_order_relaxed);
  out.bad_requests = c.bad_requests.load(std::memory_order_relaxed);
  out.tls_failures = c.tls_failures.load(std::memory_order_relaxed);
  out.handler_errors = c.handler_errors.load(std::memory_order_relaxed);
  return out;
}

}  // namespace artery
