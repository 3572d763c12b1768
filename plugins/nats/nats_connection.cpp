#include "nats_connection.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <mutex>
#include <random>

namespace artery::nats {

namespace {

std::string last_error_detail(natsStatus status) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string words = natsStatus_GetText(status);
  if (text && *text && last == status && words != text) words += ": " + std::string(text);
  return words;
}

std::string server_list(const std::vector<std::string>& servers) {
  std::string out;
  for (const auto& s : servers) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool any_tls_url(const std::vector<std::string>& servers) {
  return std::any_of(servers.begin(), servers.end(), [](const std::string& s) { return s.rfind("tls://", 0) == 0; });
}

}  // namespace

std::string describe_status(int status) { return last_error_detail(static_cast<natsStatus>(status)); }

// Called by nats.c's threads; holds what the callbacks need.
struct NatsConnection::Events {
  EventLog log;
  ConnectionSettings settings;
  std::mutex random_mutex;
  std::mt19937 random{std::random_device{}()};

  // Set by ~NatsConnection before it closes: nats.c's threads may still call
  // in after that (disconnected, closed), when the connector that gave `log`
  // is gone. The mutex makes the destructor wait for a say() in progress.
  std::mutex mutex;
  bool gone = false;

  void say(LogLevel level, const std::string& text) {
    std::lock_guard lock(mutex);
    if (!gone && log) log(level, text);
  }

  static void disconnected(natsConnection*, void* closure) {
    static_cast<Events*>(closure)->say(LogLevel::warn, "NATS connection lost; reconnecting");
  }
  static void reconnected(natsConnection* nc, void* closure) {
    char url[256] = {0};
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    static_cast<Events*>(closure)->say(LogLevel::info, std::string("NATS reconnected to ") + url);
  }
  static void connected(natsConnection* nc, void* closure) {
    char url[256] = {0};
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    static_cast<Events*>(closure)->say(LogLevel::info, std::string("NATS connected to ") + url);
  }
  // nats.c's last call for a connection: the Events are freed here.
  static void closed(natsConnection*, void* closure) { delete static_cast<Events*>(closure); }
  static void async_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
    static_cast<Events*>(closure)->say(LogLevel::warn, std::string("NATS: ") + natsStatus_GetText(err));
  }
  // Exponential backoff with jitter: wait, 2*wait, 4*wait ... up to the cap,
  // plus a random part so a fleet of engines does not reconnect in step.
  static int64_t reconnect_delay(natsConnection*, int attempts, void* closure) {
    auto* self = static_cast<Events*>(closure);
    const auto& s = self->settings;
    const int shift = std::clamp(attempts - 1, 0, 20);
    const int64_t base = std::min<int64_t>(s.reconnect_wait.count() << shift, s.max_reconnect_wait.count());
    int64_t jitter = 0;
    if (s.reconnect_jitter.count() > 0) {
      std::lock_guard lock(self->random_mutex);
      jitter = std::uniform_int_distribution<int64_t>(0, s.reconnect_jitter.count())(self->random);
    }
    return base + jitter;
  }
};

std::unique_ptr<NatsConnection> NatsConnection::open(const ConnectionSettings& settings, EventLog log,
                                                     std::string& error, Failure* failure) {
  return connect(settings, std::move(log), false, error, failure);
}

std::unique_ptr<NatsConnection> NatsConnection::open_or_retry(const ConnectionSettings& settings, EventLog log,
                                                              std::string& error) {
  Failure failure = Failure::none;
  auto connection = connect(settings, log, false, error, &failure);
  if (connection || failure != Failure::unreachable) return connection;
  std::string first = error;
  error.clear();
  connection = connect(settings, std::move(log), true, error, nullptr);
  if (connection)
    connection->events_->say(LogLevel::warn, first + "; connecting in the background");
  return connection;
}

std::unique_ptr<NatsConnection> NatsConnection::connect(const ConnectionSettings& settings, EventLog log, bool retry,
                                                        std::string& error, Failure* failure) {
  auto fail = [&](Failure kind, std::string what) -> std::unique_ptr<NatsConnection> {
    if (failure) *failure = kind;
    error = std::move(what);
    return nullptr;
  };
  if (settings.servers.empty()) return fail(Failure::configuration, "servers: no NATS server given");
  std::unique_ptr<NatsConnection> self(new NatsConnection());
  self->settings_ = settings;
  self->events_ = new Events();
  self->events_->log = std::move(log);
  self->events_->settings = settings;

  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return fail(Failure::configuration, "cannot create NATS options");
  std::unique_ptr<natsOptions, void (*)(natsOptions*)> owned(opts, natsOptions_Destroy);
  std::vector<const char*> urls;
  for (const auto& s : settings.servers) urls.push_back(s.c_str());
  auto check = [&](natsStatus s, const std::string& what) {
    if (s == NATS_OK) return true;
    error = what + ": " + last_error_detail(s);
    return false;
  };
  if (!check(natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size())), "servers"))
    return fail(Failure::configuration, error);
  if (!settings.name.empty()) natsOptions_SetName(opts, settings.name.c_str());
  natsOptions_SetTimeout(opts, settings.connect_timeout.count());
  natsOptions_SetMaxReconnect(opts, settings.max_reconnect);
  natsOptions_SetAllowReconnect(opts, settings.max_reconnect != 0);
  natsOptions_SetCustomReconnectDelay(opts, &Events::reconnect_delay, self->events_);
  natsOptions_SetDisconnectedCB(opts, &Events::disconnected, self->events_);
  natsOptions_SetReconnectedCB(opts, &Events::reconnected, self->events_);
  natsOptions_SetClosedCB(opts, &Events::closed, self->events_);
  natsOptions_SetErrorHandler(opts, &Events::async_error, self->events_);
  // A request (JetStream API call, publish ack) made while disconnected fails
  // at once instead of waiting out its timeout: the engine retries it.
  natsOptions_SetFailRequestsOnDisconnect(opts, true);
  // With a connected callback the connect returns at once and goes on in
  // the background (without one, nats.c would block until it connects).
  if (retry) natsOptions_SetRetryOnFailedConnect(opts, true, &Events::connected, self->events_);

  if (settings.tls.enabled || any_tls_url(settings.servers) || !settings.tls.ca.empty()) {
    if (!check(natsOptions_SetSecure(opts, true), "tls")) return fail(Failure::configuration, error);
    if (!settings.tls.ca.empty() &&
        !check(natsOptions_LoadCATrustedCertificates(opts, settings.tls.ca.c_str()), "tls.ca " + settings.tls.ca.string()))
      return fail(Failure::configuration, error);
    if (!settings.tls.cert.empty() &&
        !check(natsOptions_LoadCertificatesChain(opts, settings.tls.cert.c_str(), settings.tls.key.c_str()),
               "tls.cert/tls.key " + settings.tls.cert.string()))
      return fail(Failure::configuration, error);
    if (!settings.tls.server_name.empty()) natsOptions_SetExpectedHostname(opts, settings.tls.server_name.c_str());
    if (!settings.tls.verify) natsOptions_SkipServerVerification(opts, true);
  }
  if (!settings.user.empty()) natsOptions_SetUserInfo(opts, settings.user.c_str(), settings.password.c_str());
  if (!settings.token.empty()) natsOptions_SetToken(opts, settings.token.c_str());
  if (!settings.nkey_seed.empty() &&
      !check(natsOptions_SetNKeyFromSeed(opts, settings.nkey.c_str(), settings.nkey_seed.c_str()), "nkey_seed"))
    return fail(Failure::configuration, error);
  if (!settings.credentials.empty() &&
      !check(natsOptions_SetUserCredentialsFromFiles(opts, settings.credentials.c_str(), nullptr), "credentials"))
    return fail(Failure::configuration, error);

  const natsStatus status = natsConnection_Connect(&self->connection_, opts);
  if (status != NATS_OK && !(retry && status == NATS_NOT_YET_CONNECTED)) {
    const std::string detail = last_error_detail(status);
    if (self->connection_) {
      // Not expected after a failed connect; if nats.c made one, its closed
      // callback owns the Events now.
      natsConnection_Destroy(self->connection_);
      self->connection_ = nullptr;
      self->events_ = nullptr;
    }
    const std::string where = "cannot connect to NATS (" + server_list(settings.servers) + "): ";
    if (status == NATS_CONNECTION_AUTH_FAILED || detail.find("uthoriz") != std::string::npos)
      return fail(Failure::auth, where + "authorization failed (" + detail +
                                     "): check user/password, token, nkey or credentials");
    if (status == NATS_NO_SERVER || status == NATS_TIMEOUT || status == NATS_IO_ERROR)
      return fail(Failure::unreachable, where + detail);
    return fail(Failure::configuration, where + detail);
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = settings.request_timeout.count();
  if (natsConnection_JetStream(&self->jetstream_, self->connection_, &js_options) != NATS_OK)
    return fail(Failure::configuration, "cannot create the JetStream context: " + last_error_detail(NATS_ERR));
  return self;
}

NatsConnection::~NatsConnection() {
  if (jetstream_) jsCtx_Destroy(jetstream_);
  if (connection_) {
    {
      std::lock_guard lock(events_->mutex);
      events_->gone = true;
    }
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);  // the closed callback frees events_
  } else {
    delete events_;  // never connected: nats.c holds no pointer to it
  }
}

bool NatsConnection::connected() const {
  return connection_ && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

std::string NatsConnection::connected_url() const {
  char url[256] = {0};
  if (!connection_ || natsConnection_GetConnectedUrl(connection_, url, sizeof url) != NATS_OK) return {};
  return url;
}

bool NatsConnection::flush(std::chrono::milliseconds timeout, std::string& error) {
  const natsStatus s = natsConnection_FlushTimeout(connection_, timeout.count());
  if (s == NATS_OK) return true;
  error = "NATS flush: " + last_error_detail(s);
  return false;
}

}  // namespace artery::nats
