#include "systemone_source.hpp"

#include "client_integration_xml.hpp"
#include "response_envelope.hpp"
#include "xml_document_framer.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

// GCC 12 misreads Asio's coroutine frame allocator (aligned_alloc paired with
// its own operator delete) as a mismatch; the pairing is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace artery::systemone {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kStopGrace{30};

// Compares SHA-256 digests with CRYPTO_memcmp and checks every key, so the
// time taken says nothing about how much of a key matched, nor which.
bool api_key_accepted(std::string_view key, const std::vector<std::string>& accepted) {
  if (accepted.empty()) return true;
  std::array<unsigned char, SHA256_DIGEST_LENGTH> given{};
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), given.data());
  int matches = 0;
  for (const auto& candidate : accepted) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> expected{};
    SHA256(reinterpret_cast<const unsigned char*>(candidate.data()), candidate.size(), expected.data());
    matches |= CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0 ? 1 : 0;
  }
  return matches != 0;
}

std::string endpoint_text(const tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

struct SystemOneSource::Runtime : std::enable_shared_from_this<SystemOneSource::Runtime> {
  Runtime(SourceSettings s, ConnectorContext& c) : settings(std::move(s)), context(c) {}

  // A request that passed the envelope checks, ready for the channel.
  struct Screened {
    ResponseEnvelope envelope;
    std::optional<std::string> error;  // set: answer this (PermanentError true) without submitting
  };

  Screened screen(const std::string& document);
  std::string approve_device(const std::string& device_id);
  std::string answer(const ResponseEnvelope& envelope, const Disposition& disposition);
  std::string error_text(const ResponseEnvelope& envelope, std::string_view message, bool permanent) {
    return error_response(envelope, message, permanent, settings.error_style);
  }
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket, std::uint64_t id);
  asio::awaitable<std::string> handle(const std::string& document, const std::string& remote);
  asio::awaitable<Disposition> submit(Message message);
  bool begin_request();
  void end_request();
  void close_idle_connections();

  SourceSettings settings;
  ConnectorContext& context;
  SourceHost* host = nullptr;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;

  std::mutex mutex;  // guards stopping and in_flight
  std::condition_variable drained;
  bool stopping = false;
  int in_flight = 0;

  // io thread only
  std::map<std::uint64_t, std::shared_ptr<tcp::socket>> connections;
  std::unordered_set<std::uint64_t> busy;  // connections with a request in progress
  std::uint64_t next_connection_id = 1;
  std::unordered_set<std::string> known_devices;
};

SystemOneSource::SystemOneSource(SourceSettings settings, ConnectorContext& context)
    : runtime_(std::make_shared<Runtime>(std::move(settings), context)) {}

SystemOneSource::~SystemOneSource() { stop(); }

bool SystemOneSource::start(SourceHost& host, std::string& error) {
  Runtime& rt = *runtime_;
  rt.host = &host;
  try {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(rt.settings.listen.host, ec);
    if (ec) {
      tcp::resolver resolver(rt.io);
      auto results = resolver.resolve(rt.settings.listen.host, std::to_string(rt.settings.listen.port));
      if (results.empty()) throw std::runtime_error("cannot resolve " + rt.settings.listen.host);
      address = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint(address, rt.settings.listen.port);
    rt.acceptor.open(endpoint.protocol());
    rt.acceptor.set_option(asio::socket_base::reuse_address(true));
    rt.acceptor.bind(endpoint);
    rt.acceptor.listen();
  } catch (const std::exception& e) {
    // A system_error's what() appends Boost's source location; its code's message is the reason.
    const auto* system = dynamic_cast<const boost::system::system_error*>(&e);
    error = "cannot listen on " + rt.settings.listen.host + ":" + std::to_string(rt.settings.listen.port) +
            ": " + (system ? system->code().message() : std::string(e.what()));
    boost::system::error_code ignored;
    rt.acceptor.close(ignored);
    return false;
  }
  asio::co_spawn(rt.io, rt.accept_loop(), asio::detached);
  rt.thread = std::thread([runtime = runtime_] { runtime->io.run(); });
  rt.context.log(LogLevel::info, "systemone: listening on " + rt.settings.listen.host + ":" +
                                     std::to_string(rt.settings.listen.port));
  return true;
}

void SystemOneSource::stop() {
  Runtime& rt = *runtime_;
  if (!rt.thread.joinable()) return;
  {
    std::lock_guard lock(rt.mutex);
    rt.stopping = true;
  }
  // No new connections; connections waiting for their next request go now.
  asio::post(rt.io, [&rt] {
    boost::system::error_code ignored;
    rt.acceptor.close(ignored);
    rt.close_idle_connections();
  });
  // Requests already submitted get their answer before the sockets close.
  {
    std::unique_lock lock(rt.mutex);
    if (!rt.drained.wait_for(lock, kStopGrace, [&rt] { return rt.in_flight == 0; }))
      rt.context.log(LogLevel::warn, "systemone: stopping with requests still unanswered");
  }
  asio::post(rt.io, [&rt] {
    for (auto& [id, socket] : rt.connections) {
      boost::system::error_code ignored;
      socket->close(ignored);
    }
    rt.io.stop();
  });
  rt.thread.join();
}

void SystemOneSource::Runtime::close_idle_connections() {
  for (auto& [id, socket] : connections) {
    if (busy.count(id) != 0) continue;
    boost::system::error_code ignored;
    socket->close(ignored);
  }
}

bool SystemOneSource::Runtime::begin_request() {
  std::lock_guard lock(mutex);
  if (stopping) return false;
  ++in_flight;
  return true;
}

void SystemOneSource::Runtime::end_request() {
  std::lock_guard lock(mutex);
  if (--in_flight == 0) drained.notify_all();
}

asio::awaitable<void> SystemOneSource::Runtime::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      context.log(LogLevel::warn, "systemone: accept failed: " + ec.message());
      continue;
    }
    if (static_cast<int>(connections.size()) >= settings.max_connections) {
      context.log(LogLevel::warn, "systemone: refusing " + endpoint_text(socket) + ": max_connections (" +
                                      std::to_string(settings.max_connections) + ") reached");
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto shared = std::make_shared<tcp::socket>(std::move(socket));
    std::uint64_t id = next_connection_id++;
    connections.emplace(id, shared);
    asio::co_spawn(io, serve(shared, id), asio::detached);
  }
}

asio::awaitable<void> SystemOneSource::Runtime::serve(std::shared_ptr<tcp::socket> socket, std::uint64_t id) {
  const std::string remote = endpoint_text(*socket);
  XmlDocumentFramer framer(settings.max_request_size);
  std::array<char, 64 * 1024> buffer{};
  asio::steady_timer idle(io);
  bool peer_closed = false;
  std::string document;
  std::string error;
  const ResponseEnvelope no_request;

  // Sends one response line; false when the peer is gone.
  auto reply = [&](const std::string& response) -> asio::awaitable<bool> {
    std::array<asio::const_buffer, 2> line{asio::buffer(response), asio::buffer("\n", 1)};
    auto [ec, n] = co_await asio::async_write(*socket, line, kAsTuple);
    co_return !ec;
  };

  for (;;) {
    auto status = framer.next(document, error);
    if (status == XmlDocumentFramer::Status::need_more && peer_closed) {
      // framing: close — the client ended its request by closing its side.
      if (!settings.close_framing || !framer.in_document()) break;
      document = framer.take_partial();
      status = XmlDocumentFramer::Status::document;
    }
    if (status == XmlDocumentFramer::Status::document) {
      busy.insert(id);
      std::string response = co_await handle(document, remote);
      bool written = co_await reply(response);
      busy.erase(id);
      end_request();
      if (!written || settings.close_framing) break;
      bool stop_now = false;
      {
        std::lock_guard lock(mutex);
        stop_now = stopping;
      }
      if (stop_now) break;
      continue;
    }
    if (status != XmlDocumentFramer::Status::need_more) {
      // Answered here, never submitted: there is no request to store.
      context.log(LogLevel::warn, "systemone: " + remote + ": " + error);
      // Named, not a temporary: GCC 12 mishandles temporaries inside co_await expressions.
      const std::string refusal = error_text(no_request, error, true);
      bool written = co_await reply(refusal);
      if (!written || status == XmlDocumentFramer::Status::too_large || settings.close_framing) break;
      continue;
    }
    idle.expires_after(settings.idle_timeout);
    auto result = co_await (socket->async_read_some(asio::buffer(buffer), kAsTuple) || idle.async_wait(kAsTuple));
    if (result.index() == 1) {
      context.log(LogLevel::info, "systemone: " + remote + ": idle for " +
                                      std::to_string(settings.idle_timeout.count()) + " ms, closing");
      break;
    }
    auto [ec, n] = std::get<0>(result);
    if (n > 0) framer.feed(buffer.data(), n);
    if (ec == asio::error::eof) {
      peer_closed = true;
    } else if (ec) {
      break;
    }
  }
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
  connections.erase(id);
}

SystemOneSource::Runtime::Screened SystemOneSource::Runtime::screen(const std::string& document) {
  Screened out;
  // The framer rejects DOCTYPE; a request that ended at EOF (framing: close)
  // did not go through it whole, so look at its prolog here too.
  auto root_at = document.find(std::string("<") + kRequestRoot);
  if (document.substr(0, root_at).find("<!DOCTYPE") != std::string::npos) {
    out.error = "DOCTYPE declarations are not allowed";
    return out;
  }
  pugi::xml_document doc;
  std::string parse_error;
  if (!parse_xml(document, doc, false, parse_error)) {
    out.error = "invalid XML: " + parse_error;
    return out;
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != kRequestRoot) {
    out.error = std::string("the root element must be ") + kRequestRoot + ", not " + root.name();
    return out;
  }
  out.envelope.device_id = child_text(root, "DeviceID");
  out.envelope.request_uid = child_text(root, "RequestUID");
  out.envelope.function = child_text(root, "Function");
  out.envelope.function_version = child_text(root, "FunctionVersion");
  for (const char* name : {"APIKey", "RequestUID", "Function"}) {
    if (!root.child(name) || (std::string_view(name) == "Function" && out.envelope.function.empty())) {
      out.error = std::string("missing element ") + name;
      return out;
    }
  }
  if (!api_key_accepted(child_text(root, "APIKey"), settings.api_keys)) {
    out.error = "invalid API key";
    return out;
  }
  if (settings.auto_approve_devices) out.envelope.device_id = approve_device(out.envelope.device_id);
  return out;
}

std::string SystemOneSource::Runtime::approve_device(const std::string& device_id) {
  // Like SystmOne after its user clicks "approve": a new device gets an id
  // it must send from then on. Ids are remembered (first sighting logged)
  // so operators can see which devices have called.
  std::string id = device_id.empty() ? new_guid() : device_id;
  if (known_devices.count(id) != 0) return id;
  try {
    std::string key = "device:" + id;
    if (!context.state_get(key)) {
      context.state_put(key, "approved");
      context.log(LogLevel::info, "systemone: approved device " + id);
    }
  } catch (const std::exception& e) {
    context.log(LogLevel::warn, std::string("systemone: cannot record device: ") + e.what());
  }
  known_devices.insert(id);
  return id;
}

asio::awaitable<Disposition> SystemOneSource::Runtime::submit(Message message) {
  auto initiate = [this](auto handler, Message message) {
    using Handler = decltype(handler);
    auto shared = std::make_shared<Handler>(std::move(handler));
    auto self = shared_from_this();
    auto deliver = [self, shared](Disposition disposition) {
      asio::post(self->io, [shared, disposition = std::move(disposition)]() mutable { (*shared)(std::move(disposition)); });
    };
    try {
      host->submit(std::move(message), deliver);
    } catch (const std::exception& e) {
      Disposition failed;
      failed.status = Disposition::Status::unavailable;
      failed.error = e.what();
      deliver(std::move(failed));
    }
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Disposition)>(initiate, asio::use_awaitable,
                                                                                             std::move(message));
}

asio::awaitable<std::string> SystemOneSource::Runtime::handle(const std::string& document, const std::string& remote) {
  // Counted from here (answer written or not) so stop() can wait for it.
  if (!begin_request()) {
    {
      std::lock_guard lock(mutex);
      ++in_flight;  // balanced by the caller's end_request()
    }
    const ResponseEnvelope no_request;
    std::string refused = error_text(no_request, "the service is stopping, try again", false);
    co_return refused;
  }
  Screened screened = screen(document);
  if (screened.error) {
    context.log(LogLevel::warn, "systemone: " + remote + ": " + *screened.error);
    co_return error_text(screened.envelope, *screened.error, true);
  }
  Message message;
  message.content = document;
  message.data_type = data_type::xml;
  message.attributes = {{"function", screened.envelope.function},
                        {"function_version", screened.envelope.function_version},
                        {"request_uid", screened.envelope.request_uid},
                        {"device_id", screened.envelope.device_id},
                        {"remote", remote}};
  Disposition disposition = co_await submit(std::move(message));
  co_return answer(screened.envelope, disposition);
}

std::string SystemOneSource::Runtime::answer(const ResponseEnvelope& envelope, const Disposition& disposition) {
  using Status = Disposition::Status;
  switch (disposition.status) {
    case Status::accepted:
    case Status::filtered: {
      // PermanentError true: the request is stored, and sending it again
      // would store it again and get the same (missing) answer.
      if (disposition.response.empty())
        return error_text(envelope, "function " + envelope.function + " produced no response", true);
      std::string error;
      if (auto response = script_response(envelope, disposition.response, error)) return *response;
      context.log(LogLevel::warn, "systemone: " + error);
      return error_text(envelope, error, true);
    }
    case Status::errored:
      return error_text(envelope, disposition.error.empty() ? "the request failed" : disposition.error, false);
    case Status::rejected:
      return error_text(envelope, disposition.error.empty() ? "the request was rejected" : disposition.error, true);
    case Status::unavailable:
      return error_text(envelope,
                        "service unavailable" + (disposition.error.empty() ? std::string{} : ": " + disposition.error),
                        false);
  }
  return error_text(envelope, "unknown disposition", false);
}

std::unique_ptr<Source> make_systemone_source(const ConnectorOptions& options, ConnectorContext& context) {
  return std::make_unique<SystemOneSource>(SourceSettings::read(options), context);
}

}  // namespace artery::systemone
