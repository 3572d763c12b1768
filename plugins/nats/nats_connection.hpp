// One connection to a NATS server or cluster, with its JetStream context:
// what the nats source and destination share, and what clustered channels
// reuse. Wraps nats.c (its handles never leave this library's .cpp files
// except through raw()/jetstream(), for the other nats/*.cpp wrappers).
#pragma once
#include <artery/plugin.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct __natsConnection;
struct __jsCtx;

namespace artery::nats {

// How to reach and authenticate to NATS (the `servers`, `tls.*`, `user`, ...
// options: connection_options.hpp reads them).
struct ConnectionSettings {
  std::vector<std::string> servers{"nats://127.0.0.1:4222"};
  std::string name;  // shown by the server (connz): "artery <channel>/<connector>"
  struct Tls {
    bool enabled = false;  // also implied by a tls:// server URL
    std::filesystem::path ca, cert, key;
    bool verify = true;
    std::string server_name;  // the name the certificate must carry (default: the URL's host)
  } tls;
  std::string user, password, token;
  std::string nkey;                       // public NKey (U...), with nkey_seed
  std::filesystem::path nkey_seed;        // file holding the NKey seed (SU...)
  std::filesystem::path credentials;      // .creds file (JWT + seed)
  std::chrono::milliseconds connect_timeout{5000};
  int max_reconnect = -1;                 // attempts per outage; -1: forever
  std::chrono::milliseconds reconnect_wait{1000};      // first wait, doubled per attempt
  std::chrono::milliseconds max_reconnect_wait{30000}; // cap of the doubling
  std::chrono::milliseconds reconnect_jitter{500};     // random 0..jitter added to each wait
  std::chrono::milliseconds request_timeout{5000};     // JetStream API and publish acks
};

// Where connection events go (disconnected, reconnected, async errors).
using EventLog = std::function<void(LogLevel, std::string_view)>;

class NatsConnection {
 public:
  enum class Failure {
    none,
    unreachable,    // no server answered: may come up later
    auth,           // the server refused the credentials
    configuration,  // bad TLS files, bad URL, ...: fix the settings
  };

  // Connects once, now. Null with `error` (which server, what nats.c says,
  // and what to check) and `failure` saying which kind.
  static std::unique_ptr<NatsConnection> open(const ConnectionSettings& settings, EventLog log, std::string& error,
                                              Failure* failure = nullptr);
  // Like open(), but when no server is reachable yet it returns a connection
  // that keeps trying in the background (nats.c RetryOnFailedConnect), so a
  // destination can start before NATS does; credentials and settings are
  // still checked by the first attempt.
  static std::unique_ptr<NatsConnection> open_or_retry(const ConnectionSettings& settings, EventLog log,
                                                       std::string& error);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  bool connected() const;
  // The server URL connected to, "" when not connected.
  std::string connected_url() const;
  // Flushes and waits for the server's PONG: everything published before has reached it.
  bool flush(std::chrono::milliseconds timeout, std::string& error);

  __natsConnection* raw() const { return connection_; }
  __jsCtx* jetstream() const { return jetstream_; }
  const ConnectionSettings& settings() const { return settings_; }

 private:
  struct Events;
  NatsConnection() = default;
  static std::unique_ptr<NatsConnection> connect(const ConnectionSettings& settings, EventLog log, bool retry,
                                                 std::string& error, Failure* failure);

  ConnectionSettings settings_;
  // Owned by nats.c once connected (freed by the closed callback, its last
  // call), else by this object.
  Events* events_ = nullptr;
  __natsConnection* connection_ = nullptr;
  __jsCtx* jetstream_ = nullptr;
};

// nats.c's words for a status, with its thread's last error detail when it has one.
std::string describe_status(int status);

}  // namespace artery::nats
