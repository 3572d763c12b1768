#include "systemone_destination.hpp"

#include "request_envelope.hpp"
#include "request_pacer.hpp"
#include "xml_document_framer.hpp"

#include <artery/tls_context.hpp>

// GCC 12 misreads Asio's coroutine frame allocator (aligned_alloc paired with
// its own operator delete) as a mismatch; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <array>
#include <ctime>
#include <mutex>
#include <thread>

namespace artery::systemone {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

std::string local_date_today() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[11];
  std::strftime(text, sizeof text, "%Y-%m-%d", &local);
  return text;
}

std::string var_or(const std::map<std::string, std::string>& vars, const char* name, const std::string& fallback) {
  auto it = vars.find(name);
  return it == vars.end() || it->second.empty() ? fallback : it->second;
}

SendResult result(SendResult::Status status, std::string error, std::string response = {}) {
  SendResult r;
  r.status = status;
  r.error = std::move(error);
  r.response = std::move(response);
  return r;
}

// The engine's completion for the send in progress: called exactly once,
// by the send or, if the destination stops first, by stop().
class PendingSend {
 public:
  explicit PendingSend(std::function<void(SendResult)> done) : done_(std::move(done)) {}
  void finish(SendResult r) {
    std::function<void(SendResult)> done;
    {
      std::lock_guard lock(mutex_);
      done.swap(done_);
    }
    if (done) done(std::move(r));
  }

 private:
  std::mutex mutex_;
  std::function<void(SendResult)> done_;
};

}  // namespace

struct SystemOneDestination::Runtime : std::enable_shared_from_this<SystemOneDestination::Runtime> {
  Runtime(DestinationSettings s, ConnectorContext& c)
      : settings(std::move(s)), context(c), pacer(settings.rate_limit, settings.record_rate_limit) {}

  asio::awaitable<void> run(OutboundMessage message, std::shared_ptr<PendingSend> pending);
  asio::awaitable<SendResult> exchange(const OutboundMessage& message);
  asio::awaitable<std::optional<std::string>> connect();
  asio::awaitable<SendResult> request_response(const std::string& wire);
  bool connection_reusable();
  // The TCP socket under the connection, TLS or not.
  tcp::socket& socket() { return secure ? secure->next_layer() : plain; }
  // No TLS close_notify: the connection is dropped because it is broken,
  // timed out or the destination stops, and the server may be gone.
  void close_connection() {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    secure.reset();
    if (counted_open) context.metrics().connection_closed();
    counted_open = false;
  }
  // Runs `operation` on the stream the request goes over: the TLS stream
  // when there is one, else the plain socket.
  template <typename Operation>
  decltype(auto) on_stream(Operation&& operation) {
    if (secure) return operation(*secure);
    return operation(plain);
  }
  std::string remote_text() const { return settings.remote.host + ":" + std::to_string(settings.remote.port); }

  DestinationSettings settings;
  ConnectorContext& context;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::optional<ssl::context> tls;  // made by start() when tls.enabled

  // io thread only. With TLS the connection is `secure` (over its own
  // socket); without, `plain`.
  tcp::socket plain{io};
  std::optional<ssl::stream<tcp::socket>> secure;
  bool counted_open = false;  // connections_open includes `socket`
  RequestPacer pacer;
  std::string device_id;

  std::mutex mutex;
  std::shared_ptr<PendingSend> pending;  // the send in progress, for stop()
};

SystemOneDestination::SystemOneDestination(DestinationSettings settings, ConnectorContext& context)
    : runtime_(std::make_shared<Runtime>(std::move(settings), context)) {}

SystemOneDestination::~SystemOneDestination() { stop(); }

bool SystemOneDestination::start(std::string& error) {
  Runtime& rt = *runtime_;
  if (rt.thread.joinable()) return true;
  if (rt.settings.tls.enabled && !rt.tls) {
    rt.tls = make_client_tls_context(rt.settings.tls, error);
    if (!rt.tls) {
      error = "systemone: " + error;
      return false;
    }
  }
  try {
    rt.device_id = rt.context.state_get("device_id").value_or(std::string{});
  } catch (const std::exception& e) {
    error = std::string("systemone: cannot read the stored DeviceID: ") + e.what();
    return false;
  }
  if (rt.io.stopped()) rt.io.restart();
  rt.work.emplace(rt.io.get_executor());
  rt.thread = std::thread([runtime = runtime_] { runtime->io.run(); });
  return true;
}

void SystemOneDestination::stop() {
  Runtime& rt = *runtime_;
  if (!rt.thread.joinable()) return;
  asio::post(rt.io, [&rt] {
    rt.close_connection();
    rt.work.reset();
    rt.io.stop();
  });
  rt.thread.join();
  std::shared_ptr<PendingSend> pending;
  {
    std::lock_guard lock(rt.mutex);
    pending.swap(rt.pending);
  }
  if (pending) pending->finish(result(SendResult::Status::retry, "destination stopped before the response came"));
}

void SystemOneDestination::send(OutboundMessage message, std::function<void(SendResult)> done) {
  Runtime& rt = *runtime_;
  auto pending = std::make_shared<PendingSend>(std::move(done));
  if (!rt.thread.joinable()) {
    pending->finish(result(SendResult::Status::retry, "destination is not started"));
    return;
  }
  {
    std::lock_guard lock(rt.mutex);
    rt.pending = pending;
  }
  asio::co_spawn(rt.io, rt.run(std::move(message), pending), asio::detached);
}

asio::awaitable<void> SystemOneDestination::Runtime::run(OutboundMessage message, std::shared_ptr<PendingSend> pending) {
  SendResult outcome;
  try {
    outcome = co_await exchange(message);
  } catch (const std::exception& e) {
    close_connection();
    outcome = result(SendResult::Status::retry, std::string("systemone: ") + e.what());
  }
  {
    std::lock_guard lock(mutex);
    if (this->pending == pending) this->pending.reset();
  }
  pending->finish(std::move(outcome));
}

asio::awaitable<SendResult> SystemOneDestination::Runtime::exchange(const OutboundMessage& message) {
  RequestDefaults defaults;
  defaults.api_key = settings.api_key;
  defaults.device_id = device_id;
  defaults.device_version = settings.device_version;
  defaults.function = var_or(message.vars, "function", settings.function);
  defaults.function_version = var_or(message.vars, "function_version", settings.function_version);
  defaults.request_uid = var_or(message.vars, "request_uid", std::string{});
  defaults.output_scheme_drugs = settings.output_scheme_drugs;
  defaults.output_scheme_codes = settings.output_scheme_codes;
  defaults.today = local_date_today();
  std::string error;
  auto request = build_request(message.content, defaults, error);
  if (!request) co_return result(SendResult::Status::rejected, error);

  auto earliest = pacer.earliest(request->full_patient_record);
  if (earliest > RequestPacer::Clock::now()) {
    asio::steady_timer wait(io, earliest);
    co_await wait.async_wait(kAsTuple);
  }
  if (!connection_reusable()) {
    close_connection();
    if (auto failure = co_await connect()) co_return result(SendResult::Status::retry, *failure);
  }
  pacer.sent(request->full_patient_record);
  co_return co_await request_response(request->wire);
}

bool SystemOneDestination::Runtime::connection_reusable() {
  // SystmOne (or a simulator) may have closed the kept connection while it
  // sat idle. A non-blocking read tells before the request is written, so a
  // request is never sent into a dead socket (and never sent twice). Over
  // TLS the read goes through the TLS stream: it consumes records that carry
  // no data (TLS 1.3 session tickets) and sees the peer's close_notify as
  // end of stream, where a look at the raw socket could tell neither.
  if (!socket().is_open()) return false;
  boost::system::error_code ec;
  socket().non_blocking(true, ec);
  if (ec) return false;
  std::array<char, 256> scratch{};
  bool alive = false;
  for (;;) {
    std::size_t n = on_stream([&](auto& stream) { return stream.read_some(asio::buffer(scratch), ec); });
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      alive = true;
      break;
    }
    if (ec) break;
    // Whitespace is the previous response's trailing newline; anything else
    // is a stray answer that would be taken for this request's.
    bool blank = true;
    for (std::size_t i = 0; i < n; ++i)
      if (scratch[i] != '\n' && scratch[i] != '\r' && scratch[i] != ' ' && scratch[i] != '\t') blank = false;
    if (!blank) break;
  }
  socket().non_blocking(false, ec);
  return alive;
}

asio::awaitable<std::optional<std::string>> SystemOneDestination::Runtime::connect() {
  tcp::resolver resolver(io);
  asio::steady_timer timer(io);
  timer.expires_after(settings.connect_timeout);
  // Named, not temporaries: GCC 12 mishandles temporaries inside co_await expressions.
  const std::string port = std::to_string(settings.remote.port);
  auto resolved = co_await (resolver.async_resolve(settings.remote.host, port, kAsTuple) ||
                            timer.async_wait(kAsTuple));
  if (resolved.index() == 1) co_return "cannot resolve " + settings.remote.host + ": timed out";
  auto [resolve_error, endpoints] = std::get<0>(resolved);
  if (resolve_error) co_return "cannot resolve " + settings.remote.host + ": " + resolve_error.message();
  if (tls) secure.emplace(io, *tls);
  auto connected = co_await (asio::async_connect(socket(), endpoints, kAsTuple) || timer.async_wait(kAsTuple));
  if (connected.index() == 1) {
    close_connection();
    context.metrics().connection_refused();
    context.metrics().add_error(ConnectorError::timeout);
    co_return "cannot connect to " + remote_text() + ": timed out after " +
        std::to_string(settings.connect_timeout.count()) + " ms";
  }
  auto [connect_error, endpoint] = std::get<0>(connected);
  if (connect_error) {
    close_connection();
    context.metrics().connection_refused();
    co_return "cannot connect to " + remote_text() + ": " + connect_error.message();
  }
  socket().set_option(tcp::no_delay(true), connect_error);
  context.metrics().connection_opened();
  counted_open = true;
  if (secure) {
    // The name the certificate must carry: tls.server_name, else the host
    // dialled. Sent as SNI too, so a server with several names picks this one.
    const std::string name = settings.tls.server_name.empty() ? settings.remote.host : settings.tls.server_name;
    SSL_set_tlsext_host_name(secure->native_handle(), name.c_str());
    if (settings.tls.verify_peer) secure->set_verify_callback(ssl::host_name_verification(name));
    auto shaken = co_await (secure->async_handshake(ssl::stream_base::client, kAsTuple) || timer.async_wait(kAsTuple));
    if (shaken.index() == 1) {
      close_connection();
      context.metrics().add_error(ConnectorError::timeout);
      co_return "TLS handshake with " + remote_text() + ": timed out after " +
          std::to_string(settings.connect_timeout.count()) + " ms";
    }
    if (auto [handshake_error] = std::get<0>(shaken); handshake_error) {
      close_connection();
      context.metrics().add_error(ConnectorError::tls);
      co_return "TLS handshake with " + remote_text() + ": " + handshake_error.message();
    }
  }
  co_return std::nullopt;
}

asio::awaitable<SendResult> SystemOneDestination::Runtime::request_response(const std::string& wire) {
  using Status = SendResult::Status;
  asio::steady_timer deadline(io);
  deadline.expires_after(settings.response_timeout);
  context.metrics().add_request();
  auto timed_out = [&] {
    close_connection();
    context.metrics().add_error(ConnectorError::timeout);
    return result(Status::retry, "timeout: no response from " + remote_text() + " within " +
                                     std::to_string(settings.response_timeout.count()) + " ms");
  };

  std::array<asio::const_buffer, 2> line{asio::buffer(wire), asio::buffer("\n", 1)};
  // Named, not a temporary (GCC 12, as in connect()).
  auto writing = on_stream([&](auto& stream) {
    return asio::async_write(stream, line, kAsTuple) || deadline.async_wait(kAsTuple);
  });
  auto written = co_await std::move(writing);
  if (written.index() == 1) co_return timed_out();
  if (auto [ec, n] = std::get<0>(written); ec) {
    close_connection();
    context.metrics().add_error(ConnectorError::io);
    co_return result(Status::retry, "cannot send to " + remote_text() + ": " + ec.message());
  }
  context.metrics().add_bytes_out(wire.size() + 1);

  XmlDocumentFramer framer(settings.max_response_size);
  std::vector<char> buffer(64 * 1024);
  std::string document;
  std::string error;
  for (;;) {
    auto status = framer.next(document, error);
    if (status == XmlDocumentFramer::Status::document) break;
    if (status == XmlDocumentFramer::Status::too_large) {
      // The same request would get the same answer: retrying cannot help.
      close_connection();
      context.metrics().add_error(ConnectorError::protocol);
      co_return result(Status::rejected, "response from " + remote_text() + " exceeds max_response_size: " + error);
    }
    if (status != XmlDocumentFramer::Status::need_more) {
      close_connection();
      context.metrics().add_error(ConnectorError::protocol);
      co_return result(Status::retry, "invalid response from " + remote_text() + ": " + error);
    }
    auto receiving = on_stream([&](auto& stream) {
      return stream.async_read_some(asio::buffer(buffer), kAsTuple) || deadline.async_wait(kAsTuple);
    });
    auto read = co_await std::move(receiving);
    if (read.index() == 1) co_return timed_out();
    auto [ec, n] = std::get<0>(read);
    if (n > 0) framer.feed(buffer.data(), n);
    context.metrics().add_bytes_in(n);
    if (ec) {
      close_connection();
      context.metrics().add_error(ConnectorError::io);
      if (ec == asio::error::eof || ec == ssl::error::stream_truncated)
        co_return result(Status::retry, "connection closed by " + remote_text() + " before a complete response");
      co_return result(Status::retry, "reading from " + remote_text() + ": " + ec.message());
    }
  }

  auto reading = read_response(document, error);
  if (!reading) {
    close_connection();
    context.metrics().add_error(ConnectorError::protocol);
    co_return result(Status::retry, error, document);
  }
  if (!reading->device_id.empty() && reading->device_id != device_id) {
    // SystmOne approved this device: every later request must carry the id,
    // or its user is asked to approve again.
    device_id = reading->device_id;
    try {
      context.state_put("device_id", device_id);
    } catch (const std::exception& e) {
      context.log(LogLevel::warn, std::string("systemone: cannot store the DeviceID: ") + e.what());
    }
    context.log(LogLevel::info, "systemone: using DeviceID " + device_id);
  }
  if (reading->is_error && reading->permanent) context.metrics().add_error(ConnectorError::rejected);
  if (reading->is_error)
    co_return result(reading->permanent ? Status::rejected : Status::retry, reading->error_message, document);
  co_return result(Status::sent, {}, document);
}

std::unique_ptr<Destination> make_systemone_destination(const ConnectorOptions& options, ConnectorContext& context) {
  return std::make_unique<SystemOneDestination>(DestinationSettings::read(options, context.base_dir()), context);
}

}  // namespace artery::systemone
