// The plugin ABI. A plugin is a shared library exporting one C function,
// artery_plugin_v1, that returns a PluginDescriptor. Include only artery/*.
#pragma once
#include <artery/build_fingerprint.hpp>
#include <artery/connector_metrics.hpp>
#include <artery/message.hpp>
#include <artery/options.hpp>
#include <artery/value_cipher.hpp>
#include <artery/version.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace artery {

enum class LogLevel { debug, info, warn, error };

// A claim on one listening TCP socket of the engine's pool (ListenSockets).
// The socket stays open while any claim on it lives; destroying the last one
// closes it. fd() is the pool's own descriptor: never close it, dup() it.
class ListenSocket {
 public:
  virtual ~ListenSocket() = default;
  virtual int fd() const noexcept = 0;
  virtual std::uint16_t port() const noexcept = 0;  // the bound port (port 0 asked for a free one)
};

// Listening sockets that outlive one version of a connector. A redeployed
// channel's new listener takes over the socket its old version listens on
// (same connector, same address) instead of binding again after the old one
// closed it, so a sender never finds the port closed: connections that
// arrive between the two versions wait in the socket's backlog. Reached
// through ConnectorContext::listen_sockets(), because a plugin carries its own
// copy of the engine's code, whose globals are not the engine's.
class ListenSockets {
 public:
  virtual ~ListenSockets() = default;
  // The socket on `address` (numeric IPv4 or IPv6, no brackets) and `port`
  // that this connector holds already, else a new one (SO_REUSEADDR, bound,
  // listening; port 0: a free port, never shared). Null with `error` (the
  // reason, as bind() says it) when the address cannot be bound or another
  // connector listens on it.
  virtual std::unique_ptr<ListenSocket> acquire(const std::string& address, std::uint16_t port,
                                                std::string& error) = 0;
};

// The engine's side of a connector: identity, logging, persistent state.
class ConnectorContext {
 public:
  virtual ~ConnectorContext() = default;
  virtual const std::string& channel() const = 0;
  virtual const std::string& connector() const = 0;  // "source" or the destination's name
  virtual void log(LogLevel level, std::string_view text) = 0;
  // Small persistent values in the store, private to this connector (for
  // example an approved device id). Durable when state_put returns.
  virtual std::optional<std::string> state_get(std::string_view key) = 0;
  virtual void state_put(std::string_view key, std::string_view value) = 0;
  // Relative paths in options resolve against base_dir (the channel file's folder).
  virtual std::filesystem::path base_dir() const = 0;
  virtual std::filesystem::path data_dir() const = 0;
  // API 2.1: the engine's pool of listening sockets, for listeners that must
  // keep their port open across a redeploy. Null: bind as usual (a context
  // with no pool, such as a unit test's).
  virtual ListenSockets* listen_sockets() { return nullptr; }
  // API 2.2: the engine's cipher for values a plugin stores itself (the FHIR
  // repository's resources), so they are sealed under the engine's keys and
  // rotate with them. Disabled unless `storage.encrypt` is on.
  virtual const ValueCipher& value_cipher() const { return ValueCipher::disabled(); }

  // This connector's counters (names in connector_metrics.hpp): every plugin
  // reports the same ones, the engine reads snapshots from any thread. Not
  // virtual and held here, so counting costs a plugin one relaxed atomic add.
  ConnectorMetrics& metrics() noexcept { return metrics_; }
  const ConnectorMetrics& metrics() const noexcept { return metrics_; }

 private:
  ConnectorMetrics metrics_;
};

// Given to a started source: where it hands messages.
class SourceHost {
 public:
  virtual ~SourceHost() = default;
  // Thread-safe. `done` is called exactly once, from an engine thread, when the
  // channel has stored the message (or could not): answer the peer from it
  // without blocking.
  virtual void submit(Message message, std::function<void(Disposition)> done) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // Bind, open, start polling. Return false with `error` set to refuse.
  virtual bool start(SourceHost& host, std::string& error) = 0;
  // Stop taking new messages; let in-flight ones get their answer; return when
  // no more submit() calls will be made.
  virtual void stop() = 0;
};

class Destination {
 public:
  virtual ~Destination() = default;
  virtual bool start(std::string& error) {
    (void)error;
    return true;
  }
  virtual void stop() {}
  // One send at a time per destination (the engine keeps order). `done` is
  // called exactly once, from any thread.
  virtual void send(OutboundMessage message, std::function<void(SendResult)> done) = 0;
};

using SourceFactory = std::unique_ptr<Source> (*)(const ConnectorOptions& options, ConnectorContext& context,
                                                  std::string& error) noexcept;
using DestinationFactory = std::unique_ptr<Destination> (*)(const ConnectorOptions& options,
                                                            ConnectorContext& context,
                                                            std::string& error) noexcept;

struct PluginDescriptor {
  std::uint32_t api_major;  // must be first: checked before anything else is read
  std::uint32_t api_minor;
  const BuildFingerprint* build;  // &kBuildFingerprint: checked next, before anything is called
  const char* name;         // the `type:` in channel YAML
  const char* version;
  const char* description;
  const char* source_data_type;  // data_type::* a source produces by default
  const OptionSpec* source_options;
  std::size_t source_option_count;
  const OptionSpec* destination_options;
  std::size_t destination_option_count;
  SourceFactory create_source;            // nullptr: no source
  DestinationFactory create_destination;  // nullptr: no destination
};

using PluginEntryPoint = const PluginDescriptor* (*)() noexcept;
inline constexpr const char* kPluginEntryPoint = "artery_plugin_v1";

// Runs a factory body, turning any exception into `error` and nullptr, so no
// exception ever crosses the library boundary.
template <class Make>
auto guarded_create(std::string& error, Make&& make) noexcept -> decltype(make()) {
  try {
    return make();
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception while creating connector";
  }
  return nullptr;
}

}  // namespace artery

#define ARTERY_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
